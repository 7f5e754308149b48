#pragma once
// Gradient-boosted trees for log-loss on encoded inputs (histogram based:
// the encoder's codes are the bins), grown leaf-wise with the histogram
// subtraction trick. Explanations by exact path-dependent TreeSHAP
// (Lundberg, Erion & Lee 2018, algorithm 2).
#include <cstdint>
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
  double margin(const uint8_t* x) const {
    double m = base_;
    for (const auto& t : trees_) {
      int j = 0;
      while (t[j].feature >= 0) j = x[t[j].feature] <= t[j].threshold ? t[j].left : t[j].right;
      m += t[j].value;
    }
    return m;
  }
  // TreeSHAP values per input (phi has width() entries; sum = margin - expected()).
  void contributions(const uint8_t* x, double* phi) const;
  double expected() const;
  size_t width() const { return width_; }
  size_t tree_count() const { return trees_.size(); }
  nlohmann::json to_json() const;
  // Validates structure (indices, acyclic, features < width); throws DataError.
  static GbdtModel from_json(const nlohmann::json& j, size_t width);

 private:
  double base_ = 0;
  size_t width_ = 0;
  int max_depth_ = 0;
  std::vector<std::vector<TreeNode>> trees_;
};

}  // namespace opskit::leads
