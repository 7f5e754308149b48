#pragma once
// Gradient-boosted trees for log-loss on encoded inputs (histogram based:
// the encoder's codes are the bins), grown leaf-wise with the histogram
// subtraction trick. Explanations by exact path-dependent TreeSHAP
// (Lundberg, Erion & Lee 2018, algorithm 2), tabulated on first use: inputs
// are small integer codes, so a subtree's TreeSHAP values depend only on
// which side of its split points each code falls; each tree is cut into
// subtrees whose code classes have at most a few thousand combinations, and
// their exact values are precomputed per combination (the idea of Fast
// TreeSHAP v2, Yang 2021, applied per subtree). A lead then costs one table
// row per subtree, found by vector adds and summed by vector adds (see
// ShapTables). Trees too deep to tabulate use the recursive algorithm.
#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

namespace opskit::leads {

struct GbdtOptions {
  int trees = 80;
  double learning_rate = 0.05;
  int max_leaves = 31;
  int max_depth = 8;
  int min_leaf = 40;
  double l2 = 1.0;
  double min_gain = 1e-6;
};

struct TreeNode {
  int32_t feature = -1;   // -1 = leaf
  int32_t threshold = 0;  // code <= threshold goes left
  int32_t left = -1, right = -1;
  double value = 0;       // leaf output (learning rate applied)
  double cover = 0;       // training rows reaching the node
};

class GbdtModel {
 public:
  static GbdtModel fit(const std::vector<uint8_t>& codes, size_t n, const std::vector<int>& codes_per_input,
                       const std::vector<int8_t>& y, const std::vector<size_t>& rows, const GbdtOptions& options);
  // Raw score (log-odds). Leaves are found QuickScorer style (Lucchese et
  // al. 2015): per input and class of codes, a bitmask per tree of the
  // leaves still reachable; a lead ANDs one row of masks per input and each
  // tree's exit leaf is the lowest bit left. Models with a tree of more than
  // 32 leaves walk the flattened trees instead.
  double margin(const uint8_t* x) const;
  // TreeSHAP values per input (phi has width() entries; sum = margin - expected()).
  // Uses the precomputed tables (built on the first call).
  void contributions(const uint8_t* x, double* phi) const;
  // The inputs ordered by the largest contribution the tables allow them,
  // largest first (a scan order for picking the top reasons quickly).
  const std::vector<uint32_t>& reason_order() const;
  // The same values by the recursive algorithm, without tables (reference).
  void contributions_recursive(const uint8_t* x, double* phi) const;
  double expected() const;
  size_t width() const { return width_; }
  size_t tree_count() const { return trees_.size(); }
  nlohmann::json to_json() const;
  // Validates structure (indices, acyclic, features < width); throws DataError.
  static GbdtModel from_json(const nlohmann::json& j, size_t width);

 private:
  // Trees flattened into one node array whose leaves loop to themselves, so
  // each walk takes a fixed number of steps and kLanes trees advance together.
  static constexpr size_t kLanes = 8;
  struct FlatNode {
    uint16_t feature;
    int16_t threshold;  // clamped to [-1, 255]: codes are uint8
    int32_t left, right;  // a leaf: both itself
  };
  static int32_t step(const FlatNode& n, const uint8_t* x) { return x[n.feature] <= n.threshold ? n.left : n.right; }
  double margin_walk(const uint8_t* x) const;
  struct Masks;
  struct ShapTables;
  void flatten();
  const ShapTables& shap_tables() const;

  double base_ = 0;
  size_t width_ = 0;
  int max_depth_ = 0;
  std::vector<std::vector<TreeNode>> trees_;
  std::vector<FlatNode> flat_;
  std::vector<int32_t> roots_;
  std::vector<int> steps_;      // per kLanes trees: the deepest leaf's depth
  std::vector<double> value_;   // per flat node (leaf values; 0 inside)
  std::shared_ptr<const Masks> masks_;  // null: walk the trees
  mutable std::shared_ptr<const ShapTables> shap_;  // immutable once built; copies share it
};

}  // namespace opskit::leads
