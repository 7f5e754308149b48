// TreeSHAP exactness: the tabulated values and the recursive algorithm against
// a brute-force Shapley computation (every subset of inputs, with the
// path-dependent conditional expectation) on small generated trees.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "leads/gbdt.hpp"

using namespace opskit::leads;

namespace {

struct GenNode {
  int feature = -1, threshold = 0, left = -1, right = -1;
  double value = 0, cover = 0;
};

// A random tree: splits on `width` inputs with codes 0..ncodes-1; nodes in
// breadth-first order (children after parents); covers add up.
std::vector<GenNode> random_tree(std::mt19937_64& rng, int width, int ncodes, int max_leaves, int max_depth) {
  std::uniform_int_distribution<int> feat(0, width - 1), thr(0, ncodes - 2), cover(1, 50);
  std::normal_distribution<double> val(0, 1);
  std::vector<GenNode> t(1);
  std::vector<int> depth{0};
  std::vector<int> open{0};
  int leaves = 1;
  while (leaves < max_leaves && !open.empty()) {
    size_t pick = std::uniform_int_distribution<size_t>(0, open.size() - 1)(rng);
    int j = open[pick];
    open.erase(open.begin() + long(pick));
    if (depth[size_t(j)] >= max_depth) continue;
    t[size_t(j)].feature = feat(rng);
    t[size_t(j)].threshold = thr(rng);
    t[size_t(j)].left = int(t.size());
    t[size_t(j)].right = int(t.size() + 1);
    t.push_back({});
    t.push_back({});
    depth.push_back(depth[size_t(j)] + 1);
    depth.push_back(depth[size_t(j)] + 1);
    open.push_back(int(t.size() - 2));
    open.push_back(int(t.size() - 1));
    ++leaves;
  }
  // Leaf values and covers, then internal covers bottom-up.
  for (size_t j = t.size(); j-- > 0;) {
    if (t[j].feature < 0) {
      t[j].value = val(rng);
      t[j].cover = cover(rng);
    } else {
      t[j].cover = t[size_t(t[j].left)].cover + t[size_t(t[j].right)].cover;
    }
  }
  return t;
}

nlohmann::json model_json(const std::vector<std::vector<GenNode>>& trees, double base) {
  auto arr = nlohmann::json::array();
  for (const auto& t : trees) {
    std::vector<int> f, th, l, r;
    std::vector<double> v, c;
    for (const auto& n : t) {
      f.push_back(n.feature);
      th.push_back(n.threshold);
      l.push_back(n.left);
      r.push_back(n.right);
      v.push_back(n.value);
      c.push_back(n.cover);
    }
    arr.push_back({{"feature", f}, {"threshold", th}, {"left", l}, {"right", r}, {"value", v}, {"cover", c}});
  }
  return {{"base", base}, {"trees", arr}};
}

// E[f(x) | x_S] with the path-dependent rule: follow x on inputs in S, else
// the cover-weighted average of both children.
double cond_expectation(const std::vector<GenNode>& t, int j, const std::vector<uint8_t>& x, unsigned s) {
  const auto& n = t[size_t(j)];
  if (n.feature < 0) return n.value;
  if (s & (1u << n.feature)) return cond_expectation(t, x[size_t(n.feature)] <= n.threshold ? n.left : n.right, x, s);
  return (t[size_t(n.left)].cover * cond_expectation(t, n.left, x, s) +
          t[size_t(n.right)].cover * cond_expectation(t, n.right, x, s)) /
         n.cover;
}

std::vector<double> brute_force(const std::vector<std::vector<GenNode>>& trees, int width, const std::vector<uint8_t>& x) {
  std::vector<double> v(size_t(1) << width, 0.0);
  for (unsigned s = 0; s < v.size(); ++s)
    for (const auto& t : trees) v[s] += cond_expectation(t, 0, x, s);
  std::vector<double> fact(size_t(width) + 1, 1.0);
  for (int i = 1; i <= width; ++i) fact[size_t(i)] = fact[size_t(i - 1)] * i;
  std::vector<double> phi(size_t(width), 0.0);
  for (int i = 0; i < width; ++i)
    for (unsigned s = 0; s < v.size(); ++s) {
      if (s & (1u << i)) continue;
      int k = __builtin_popcount(s);
      double w = fact[size_t(k)] * fact[size_t(width - k - 1)] / fact[size_t(width)];
      phi[size_t(i)] += w * (v[s | (1u << i)] - v[s]);
    }
  return phi;
}

// The tables store float (7 significant digits; reasons only rank the
// values), so the tabulated values are checked to 1e-5 of the lead's largest
// contribution and their sum to 1e-4 in margin units; the recursive algorithm
// stays the exact reference (1e-9).
constexpr double kTableRel = 1e-5, kTableSum = 1e-4;
double largest(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

}  // namespace

TEST_CASE("TreeSHAP tables equal brute-force Shapley values", "[leads][shap]") {
  std::mt19937_64 rng(20261122);
  struct Shape {
    int width, ncodes, leaves, depth, trees;
  };
  // Small and large code ranges, shallow and deep trees, repeated inputs on a path.
  for (Shape sh : {Shape{3, 4, 6, 4, 3}, Shape{6, 8, 12, 6, 4}, Shape{8, 12, 31, 8, 5}, Shape{5, 30, 31, 10, 3},
                   Shape{2, 3, 8, 8, 2}}) {
    for (int rep = 0; rep < 4; ++rep) {
      std::vector<std::vector<GenNode>> trees;
      for (int t = 0; t < sh.trees; ++t) trees.push_back(random_tree(rng, sh.width, sh.ncodes, sh.leaves, sh.depth));
      const double base = -1.25;
      auto model = GbdtModel::from_json(model_json(trees, base), size_t(sh.width));
      std::uniform_int_distribution<int> code(0, sh.ncodes - 1);
      for (int sample = 0; sample < 12; ++sample) {
        std::vector<uint8_t> x(size_t(sh.width));
        for (auto& c : x) c = uint8_t(code(rng));
        auto expect = brute_force(trees, sh.width, x);
        std::vector<double> fast(size_t(sh.width)), slow(size_t(sh.width));
        model.contributions(x.data(), fast.data());
        model.contributions_recursive(x.data(), slow.data());
        double sum = 0;
        const double tol = kTableRel * largest(expect);
        for (int i = 0; i < sh.width; ++i) {
          CHECK(std::abs(fast[size_t(i)] - expect[size_t(i)]) <= tol);
          CHECK(std::abs(slow[size_t(i)] - expect[size_t(i)]) < 1e-9);
          sum += fast[size_t(i)];
        }
        // Local accuracy: the values add up to the margin minus the expected value.
        CHECK(std::abs(sum - (model.margin(x.data()) - model.expected())) < kTableSum);
      }
    }
  }
}

TEST_CASE("TreeSHAP tables: model copies share them and give the same values", "[leads][shap]") {
  std::mt19937_64 rng(7);
  std::vector<std::vector<GenNode>> trees;
  for (int t = 0; t < 6; ++t) trees.push_back(random_tree(rng, 5, 10, 31, 8));
  auto a = GbdtModel::from_json(model_json(trees, 0.3), 5);
  std::vector<uint8_t> x{1, 9, 0, 4, 7};
  std::vector<double> pa(5), pb(5);
  a.contributions(x.data(), pa.data());
  GbdtModel b = a;
  b.contributions(x.data(), pb.data());
  CHECK(pa == pb);
}

namespace {

// Reference score: each tree walked from the root, in tree order.
double walk_margin(const std::vector<std::vector<GenNode>>& trees, double base, const std::vector<uint8_t>& x) {
  double m = base;
  for (const auto& t : trees) {
    int j = 0;
    while (t[size_t(j)].feature >= 0)
      j = x[size_t(t[size_t(j)].feature)] <= t[size_t(j)].threshold ? t[size_t(j)].left : t[size_t(j)].right;
    m += t[size_t(j)].value;
  }
  return m;
}

// Some splits that every code takes the same way (thresholds -1 and 255).
void add_degenerate_splits(std::mt19937_64& rng, std::vector<GenNode>& t) {
  for (auto& n : t)
    if (n.feature >= 0 && std::uniform_int_distribution<int>(0, 9)(rng) == 0)
      n.threshold = std::uniform_int_distribution<int>(0, 1)(rng) ? 255 : -1;
}

}  // namespace

TEST_CASE("tree scores: bitmask exit leaves equal walking the trees", "[leads][shap]") {
  std::mt19937_64 rng(41);
  struct Shape {
    int width, ncodes, leaves, depth, trees;
  };
  // Up to 32 leaves use the bitmasks; 40 leaves fall back to walking; many trees, wide inputs.
  for (Shape sh : {Shape{3, 4, 6, 4, 3}, Shape{19, 64, 31, 8, 80}, Shape{40, 256, 32, 12, 70}, Shape{5, 30, 40, 12, 9},
                   Shape{300, 10, 8, 4, 600}}) {
    std::vector<std::vector<GenNode>> trees;
    for (int t = 0; t < sh.trees; ++t) {
      trees.push_back(random_tree(rng, sh.width, sh.ncodes, sh.leaves, sh.depth));
      add_degenerate_splits(rng, trees.back());
    }
    auto model = GbdtModel::from_json(model_json(trees, 0.5), size_t(sh.width));
    std::uniform_int_distribution<int> code(0, 255);
    for (int sample = 0; sample < 200; ++sample) {
      std::vector<uint8_t> x(size_t(sh.width));
      for (auto& c : x) c = uint8_t(sample < 100 ? code(rng) % sh.ncodes : code(rng));
      CHECK(model.margin(x.data()) == Approx(walk_margin(trees, 0.5, x)).margin(1e-12));
    }
  }
}

TEST_CASE("TreeSHAP tables: wide inputs and degenerate splits match the recursive algorithm", "[leads][shap]") {
  std::mt19937_64 rng(43);
  // 40 inputs: the tables are split over several frames of inputs.
  std::vector<std::vector<GenNode>> trees;
  for (int t = 0; t < 30; ++t) {
    trees.push_back(random_tree(rng, 40, 64, 31, 8));
    add_degenerate_splits(rng, trees.back());
  }
  auto model = GbdtModel::from_json(model_json(trees, -0.7), 40);
  std::uniform_int_distribution<int> code(0, 255);
  for (int sample = 0; sample < 100; ++sample) {
    std::vector<uint8_t> x(40);
    for (auto& c : x) c = uint8_t(code(rng) % 64);
    std::vector<double> fast(40), slow(40);
    model.contributions(x.data(), fast.data());
    model.contributions_recursive(x.data(), slow.data());
    double sum = 0;
    const double tol = kTableRel * largest(slow);
    for (size_t i = 0; i < 40; ++i) {
      CHECK(std::abs(fast[i] - slow[i]) <= tol);
      sum += fast[i];
    }
    CHECK(std::abs(sum - (model.margin(x.data()) - model.expected())) < kTableSum);
  }
}
