#include "leads/gbdt.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <map>
#include <new>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "core/error.hpp"

namespace opskit::leads {

namespace {

struct Bin {
  double g = 0, h = 0;
  double n = 0;
};

struct Split {
  double gain = 0;
  int feature = -1;
  int threshold = 0;
};

struct Leaf {
  Leaf(size_t b, size_t e) : begin(b), end(e) {}
  size_t begin, end;  // range in the row index array
  double g = 0, h = 0;
  int node = 0, depth = 0;
  std::vector<Bin> hist;
  Split best;
};

class Grower {
 public:
  Grower(const std::vector<uint8_t>& codes, size_t width, const std::vector<int>& ncodes, const GbdtOptions& o)
      : codes_(codes), width_(width), o_(o) {
    offsets_.resize(width);
    size_t total = 0;
    for (size_t i = 0; i < width; ++i) {
      offsets_[i] = total;
      total += size_t(ncodes[i]);
    }
    total_bins_ = total;
    ncodes_ = ncodes;
  }

  // Grows one tree over idx (row ids); writes each row's leaf value into `delta`.
  std::vector<TreeNode> grow(std::vector<size_t>& idx, const std::vector<double>& g, const std::vector<double>& h,
                             std::vector<double>& delta) {
    std::vector<TreeNode> nodes(1);
    std::vector<Leaf> leaves;
    Leaf root(0, idx.size());
    build_hist(root, idx, g, h);
    for (int k = 0; k < ncodes_[0]; ++k) {
      root.g += root.hist[k].g;
      root.h += root.hist[k].h;
    }
    nodes[0].cover = double(idx.size());
    find_split(root);
    leaves.push_back(std::move(root));
    int leaf_count = 1;
    while (leaf_count < o_.max_leaves) {
      int best = -1;
      for (size_t i = 0; i < leaves.size(); ++i)
        if (leaves[i].best.feature >= 0 && (best < 0 || leaves[i].best.gain > leaves[best].best.gain)) best = int(i);
      if (best < 0) break;
      Leaf parent = std::move(leaves[best]);
      leaves.erase(leaves.begin() + best);
      const int f = parent.best.feature, t = parent.best.threshold;
      auto mid = std::partition(idx.begin() + parent.begin, idx.begin() + parent.end,
                                [&](size_t r) { return codes_[r * width_ + f] <= t; });
      size_t m = size_t(mid - idx.begin());
      Leaf l(parent.begin, m), r(m, parent.end);
      l.depth = r.depth = parent.depth + 1;
      Leaf& small = (m - parent.begin) <= (parent.end - m) ? l : r;
      Leaf& large = &small == &l ? r : l;
      build_hist(small, idx, g, h);
      large.hist = std::move(parent.hist);
      for (size_t k = 0; k < total_bins_; ++k) {
        large.hist[k].g -= small.hist[k].g;
        large.hist[k].h -= small.hist[k].h;
        large.hist[k].n -= small.hist[k].n;
      }
      for (Leaf* c : {&l, &r}) {
        c->g = c->h = 0;
        for (int k = 0; k < ncodes_[0]; ++k) {
          c->g += c->hist[k].g;
          c->h += c->hist[k].h;
        }
      }
      TreeNode& pn = nodes[parent.node];
      pn.feature = f;
      pn.threshold = t;
      pn.left = int(nodes.size());
      pn.right = int(nodes.size() + 1);
      l.node = pn.left;
      r.node = pn.right;
      nodes.push_back(TreeNode{-1, 0, -1, -1, 0, double(l.end - l.begin)});
      nodes.push_back(TreeNode{-1, 0, -1, -1, 0, double(r.end - r.begin)});
      find_split(l);
      find_split(r);
      leaves.push_back(std::move(l));
      leaves.push_back(std::move(r));
      ++leaf_count;
    }
    for (auto& leaf : leaves) {
      double v = -o_.learning_rate * leaf.g / (leaf.h + o_.l2);
      nodes[leaf.node].value = v;
      for (size_t i = leaf.begin; i < leaf.end; ++i) delta[idx[i]] = v;
    }
    return nodes;
  }

 private:
  void build_hist(Leaf& leaf, const std::vector<size_t>& idx, const std::vector<double>& g, const std::vector<double>& h) {
    leaf.hist.assign(total_bins_, Bin{});
    Bin* hist = leaf.hist.data();
    for (size_t i = leaf.begin; i < leaf.end; ++i) {
      size_t r = idx[i];
      const uint8_t* x = codes_.data() + r * width_;
      double gi = g[r], hi = h[r];
      for (size_t f = 0; f < width_; ++f) {
        Bin& b = hist[offsets_[f] + x[f]];
        b.g += gi;
        b.h += hi;
        b.n += 1;
      }
    }
  }

  void find_split(Leaf& leaf) {
    leaf.best = Split{};
    if (leaf.depth >= o_.max_depth || double(leaf.end - leaf.begin) < 2.0 * o_.min_leaf) return;
    const double parent_score = leaf.g * leaf.g / (leaf.h + o_.l2);
    const double n = double(leaf.end - leaf.begin);
    for (size_t f = 0; f < width_; ++f) {
      const Bin* hb = leaf.hist.data() + offsets_[f];
      double gl = 0, hl = 0, nl = 0;
      for (int c = 0; c + 1 < ncodes_[f]; ++c) {
        gl += hb[c].g;
        hl += hb[c].h;
        nl += hb[c].n;
        if (nl < o_.min_leaf) continue;
        if (n - nl < o_.min_leaf) break;
        double gr = leaf.g - gl, hr = leaf.h - hl;
        if (hl < 1e-3 || hr < 1e-3) continue;
        double gain = gl * gl / (hl + o_.l2) + gr * gr / (hr + o_.l2) - parent_score;
        if (gain > leaf.best.gain + 1e-12 && gain > o_.min_gain) leaf.best = Split{gain, int(f), c};
      }
    }
  }

  const std::vector<uint8_t>& codes_;
  size_t width_;
  const GbdtOptions& o_;
  std::vector<size_t> offsets_;
  std::vector<int> ncodes_;
  size_t total_bins_ = 0;
};

int tree_depth(const std::vector<TreeNode>& t, int j) {
  if (t[j].feature < 0) return 0;
  return 1 + std::max(tree_depth(t, t[j].left), tree_depth(t, t[j].right));
}

}  // namespace

GbdtModel GbdtModel::fit(const std::vector<uint8_t>& codes, size_t n, const std::vector<int>& ncodes,
                         const std::vector<int8_t>& y, const std::vector<size_t>& rows, const GbdtOptions& o) {
  GbdtModel m;
  m.width_ = ncodes.size();
  double pos = 0;
  for (size_t r : rows) pos += y[r] == 1;
  double rate = std::clamp(pos / std::max<double>(1, rows.size()), 1e-6, 1 - 1e-6);
  m.base_ = std::log(rate / (1 - rate));
  std::vector<double> f(n, m.base_), g(n, 0), h(n, 0), delta(n, 0);
  Grower grower(codes, m.width_, ncodes, o);
  std::vector<size_t> idx = rows;
  for (int t = 0; t < o.trees; ++t) {
    for (size_t r : rows) {
      double p = 1 / (1 + std::exp(-f[r]));
      g[r] = p - (y[r] == 1 ? 1.0 : 0.0);
      h[r] = std::max(p * (1 - p), 1e-12);
    }
    auto tree = grower.grow(idx, g, h, delta);
    for (size_t r : rows) f[r] += delta[r];
    m.max_depth_ = std::max(m.max_depth_, tree_depth(tree, 0));
    m.trees_.push_back(std::move(tree));
  }
  m.flatten();
  return m;
}

namespace {

struct PathElem {
  int d;
  double z, o, w;
};

void extend(PathElem* m, int l, double pz, double po, int pi) {
  m[l] = {pi, pz, po, l == 0 ? 1.0 : 0.0};
  for (int i = l - 1; i >= 0; --i) {
    m[i + 1].w += po * m[i].w * (i + 1) / double(l + 1);
    m[i].w = pz * m[i].w * (l - i) / double(l + 1);
  }
}

// Removes element i from a path of `len` elements (undoes its extension).
void unwind(PathElem* m, int len, int i) {
  const double o = m[i].o, z = m[i].z;
  double n = m[len - 1].w;
  for (int j = len - 2; j >= 0; --j) {
    if (o != 0) {
      double t = m[j].w;
      m[j].w = n * len / ((j + 1) * o);
      n = t - m[j].w * z * (len - j - 1) / double(len);
    } else {
      m[j].w = m[j].w * len / (z * (len - j - 1));
    }
  }
  for (int j = i; j < len - 1; ++j) {
    m[j].d = m[j + 1].d;
    m[j].z = m[j + 1].z;
    m[j].o = m[j + 1].o;
  }
}

// Sum of the weights the path would have with element i unwound.
double unwound_sum(const PathElem* m, int len, int i) {
  const double o = m[i].o, z = m[i].z;
  double n = m[len - 1].w, total = 0;
  for (int j = len - 2; j >= 0; --j) {
    if (o != 0) {
      double t = n * len / ((j + 1) * o);
      total += t;
      n = m[j].w - t * z * (len - j - 1) / double(len);
    } else {
      total += m[j].w * len / (z * (len - j - 1));
    }
  }
  return total;
}

// keep (optional) restricts the walk to the marked nodes: the leaves of one
// subtree and the path to it, whose contributions are then exactly that
// subtree's share of the tree's values.
void recurse(const std::vector<TreeNode>& t, int j, const uint8_t* x, double* phi, PathElem* m, int len, double pz,
             double po, int pi, const std::vector<char>* keep) {
  extend(m, len, pz, po, pi);
  ++len;
  const TreeNode& node = t[j];
  if (node.feature < 0) {
    for (int i = 1; i < len; ++i) phi[m[i].d] += unwound_sum(m, len, i) * (m[i].o - m[i].z) * node.value;
    return;
  }
  int hot = x[node.feature] <= node.threshold ? node.left : node.right;
  int cold = hot == node.left ? node.right : node.left;
  double iz = 1, io = 1;
  for (int k = 1; k < len; ++k)
    if (m[k].d == node.feature) {
      iz = m[k].z;
      io = m[k].o;
      unwind(m, len, k);
      --len;
      break;
    }
  PathElem* child = m + len;
  if (!keep || (*keep)[hot]) {
    std::copy(m, m + len, child);
    recurse(t, hot, x, phi, child, len, iz * t[hot].cover / node.cover, io, node.feature, keep);
  }
  if (!keep || (*keep)[cold]) {
    std::copy(m, m + len, child);
    recurse(t, cold, x, phi, child, len, iz * t[cold].cover / node.cover, 0, node.feature, keep);
  }
}

void tree_shap(const std::vector<TreeNode>& t, int max_depth, const uint8_t* x, double* phi, const std::vector<char>* keep) {
  if (t[0].feature < 0) return;
  const int d = max_depth + 2;
  thread_local std::vector<PathElem> path;
  path.resize(size_t(d) * (d + 1) / 2 + d + 4);
  recurse(t, 0, x, phi, path.data(), 0, 1, 1, -1, keep);
}

double tree_expected(const std::vector<TreeNode>& t, int j) {
  if (t[j].feature < 0) return t[j].value;
  return (t[t[j].left].cover * tree_expected(t, t[j].left) + t[t[j].right].cover * tree_expected(t, t[j].right)) /
         t[j].cover;
}

}  // namespace

void GbdtModel::contributions_recursive(const uint8_t* x, double* phi) const {
  std::fill(phi, phi + width_, 0.0);
  for (const auto& t : trees_) tree_shap(t, max_depth_, x, phi, nullptr);
}

// The TreeSHAP tables. A tree is cut into groups (subtrees with the path
// above them); a group's values depend only on the classes of its inputs'
// codes, so they are tabulated per combination of classes (a cell).
// Step 1 finds a lead's cell in every group at once: the cell's offset is a
// sum over inputs, so each (input, class of codes) has one vector of offsets
// over all groups (0 where the group does not depend on the input), added up
// with vector instructions. Step 2: groups are packed in order into frames
// of at most kFrame inputs and a group's rows are laid out over its frame's
// inputs (zeros elsewhere), so a frame's rows add up as dense vectors held
// in registers and reach phi once per frame. Both steps avoid the per-value
// indexing that made the cost.
namespace {

// Zeroed floats, 64-byte aligned; large arrays on 2 MB pages where the
// kernel grants them (transparent huge pages in madvise mode): a lead's rows
// land anywhere in megabytes of tables, and with 4 kB pages most rows also
// missed the TLB (a page walk, nested under a hypervisor).
class PageArray {
 public:
  void assign(size_t n) {
    constexpr size_t kHuge = size_t(2) << 20;
    const size_t bytes = n * sizeof(float);
    const size_t align = bytes >= kHuge ? kHuge : 64;
    const size_t rounded = std::max((bytes + align - 1) / align * align, align);
    p_.reset(static_cast<float*>(std::aligned_alloc(align, rounded)));
    if (!p_) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align == kHuge) ::madvise(p_.get(), rounded, MADV_HUGEPAGE);  // advice: failure is harmless
#endif
    std::memset(p_.get(), 0, bytes);
    n_ = n;
  }
  float* data() { return p_.get(); }
  const float* data() const { return p_.get(); }
  size_t size() const { return n_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float[], Free> p_;
  size_t n_ = 0;
};

}  // namespace

struct GbdtModel::ShapTables {
  std::vector<uint32_t> inputs;      // inputs that some group's cells depend on
  std::vector<uint8_t> class_of;     // per listed input: 256 codes -> class
  std::vector<uint32_t> first_row;   // per listed input: the row of its class 0
  size_t stride = 0;                 // groups, rounded up to whole vectors
  std::vector<uint16_t> offsets;     // per row: stride offsets (in quads of values, into the group's table)
  struct Frame {
    uint32_t first_group, end_group;
    uint32_t first_input, width;  // into frame_inputs
    uint32_t first_run, end_run;
  };
  struct Run {
    uint32_t first_group, end_group;
    uint32_t quads;  // row width: 4 * quads values
  };
  std::vector<Frame> frames;
  std::vector<Run> runs;
  std::vector<uint32_t> frame_inputs;
  std::vector<size_t> table;         // per group: its first row in values
  // Stored as float, summed in double: half the bytes read per lead (the
  // rows are the cost), and reasons rank contributions, for which float's
  // 7 significant digits are plenty (tests bound the error).
  PageArray values;
  std::vector<size_t> slow_trees;    // not tabulated: recursive algorithm
  std::vector<uint32_t> reason_order;  // inputs by the largest contribution the tables allow
};

namespace {

// Combinations per subtree table: larger tables mean fewer rows per lead
// but more memory and build time. Bank model, reasons per CPU second and
// tables: 2048 cells 297 rows a lead, 12 MB, 0.75 s to build; 4096: 254
// rows, 18 MB, 1.0 s, ~5% faster; 8192: 219 rows, 31 MB, 1.8 s, ~3% more.
constexpr size_t kMaxCells = 4096;

struct Condition {
  int feature;
  int lo, hi;  // codes lo..hi satisfy the path's splits on feature
};

// Per leaf, the merged code interval of each input on its path.
std::vector<std::vector<Condition>> leaf_conditions(const std::vector<TreeNode>& t) {
  std::vector<std::vector<Condition>> conds(t.size());
  std::vector<std::vector<Condition>> at(t.size());  // conditions down to node
  for (size_t j = 0; j < t.size(); ++j) {  // children come after parents
    if (t[j].feature < 0) {
      conds[j] = at[j];
      continue;
    }
    for (int side = 0; side < 2; ++side) {
      auto c = at[j];
      const int f = t[j].feature, th = std::clamp(t[j].threshold, -1, 255);
      auto it = std::find_if(c.begin(), c.end(), [&](const Condition& k) { return k.feature == f; });
      if (it == c.end()) it = c.insert(c.end(), Condition{f, 0, 255});
      if (side == 0) it->hi = std::min(it->hi, th);
      else it->lo = std::max(it->lo, th + 1);
      at[side == 0 ? t[j].left : t[j].right] = std::move(c);
    }
  }
  return conds;
}

void subtree_leaves(const std::vector<TreeNode>& t, int j, std::vector<int>& out) {
  if (t[j].feature < 0) {
    out.push_back(j);
    return;
  }
  subtree_leaves(t, t[j].left, out);
  subtree_leaves(t, t[j].right, out);
}

// Code classes of the inputs seen by a set of leaves: two codes are in one
// class when every leaf's path condition treats them alike.
struct Classes {
  std::vector<int> inputs;
  std::vector<std::vector<int>> of_code;  // per input: 256 class ids
  std::vector<std::vector<int>> example;  // per input: a code of each class
  size_t cells = 1;
};

using LeafConditions = std::vector<const std::vector<Condition>*>;  // one list per leaf

Classes classes_of(const LeafConditions& leaves) {
  Classes c;
  for (const auto* l : leaves)
    for (const auto& k : *l)
      if (std::find(c.inputs.begin(), c.inputs.end(), k.feature) == c.inputs.end()) c.inputs.push_back(k.feature);
  std::sort(c.inputs.begin(), c.inputs.end());
  for (int f : c.inputs) {
    std::map<std::vector<bool>, int> ids;
    std::vector<int> of(256);
    std::vector<int> ex;
    for (int code = 0; code < 256; ++code) {
      std::vector<bool> sig;
      for (const auto* l : leaves)
        for (const auto& k : *l)
          if (k.feature == f) sig.push_back(code >= k.lo && code <= k.hi);
      auto [it, fresh] = ids.emplace(std::move(sig), int(ids.size()));
      if (fresh) ex.push_back(code);
      of[code] = it->second;
    }
    c.cells = std::min(c.cells * ex.size(), kMaxCells + 1);
    c.of_code.push_back(std::move(of));
    c.example.push_back(std::move(ex));
  }
  return c;
}

}  // namespace

namespace {

// Per input, the model's distinct split points that separate codes (code <= t
// goes left, t in 0..254): codes between two consecutive points act alike in
// every tree, so they form one class. Class c starts at code points[c-1] + 1.
std::vector<std::vector<int>> split_points(const std::vector<std::vector<TreeNode>>& trees, size_t width) {
  std::vector<std::vector<int>> pts(width);
  for (const auto& t : trees)
    for (const auto& n : t)
      if (n.feature >= 0 && n.threshold >= 0 && n.threshold < 255) pts[size_t(n.feature)].push_back(n.threshold);
  for (auto& p : pts) {
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
  }
  return pts;
}

void class_of_codes(const std::vector<int>& pts, uint8_t* out) {
  size_t c = 0;
  for (int code = 0; code < 256; ++code) {
    while (c < pts.size() && pts[c] < code) ++c;
    out[code] = uint8_t(c);  // at most 255 points, so < 256
  }
}

int first_code(const std::vector<int>& pts, size_t c) { return c == 0 ? 0 : pts[c - 1] + 1; }

// Inputs per frame: 32 floats (8 vectors of 4, or 4 of 8 with AVX2) fit the
// vector registers with room.
constexpr size_t kFrame = 32;
// Tables beyond this many values (128 MB of floats) are not built: further
// trees use the recursive algorithm.
constexpr size_t kMaxTableValues = size_t(32) << 20;
static_assert((kMaxCells - 1) * (kFrame / 4) < 65536, "cell offsets (in quads of values) are uint16");

constexpr size_t kAhead = 32;  // groups ahead: measured best of 8, 16, 32, 48 on the bank model (float rows)

// Sums rows of 4*Q floats (one per group) into out; Q known at compile
// time keeps the sums in vector registers. Built twice: for any x86-64 (or
// other) CPU with vectors V of 4 floats and, where the CPU has them, with
// 256-bit AVX2 registers (V of 8 floats and, for an odd Q, one T of 4).
// The sums stay in float: a run is tens of rows, well within the tests'
// 1e-5 of the largest contribution.
template <typename V, typename T, int Q>
inline void add_rows_body(const float* values, const size_t* table, const uint16_t* cell, size_t first, size_t end,
                          size_t groups, float* out) {
  constexpr int kPer = int(sizeof(V) / sizeof(float));
  constexpr int kVecs = 4 * Q / kPer;
  constexpr int kTail = 4 * Q % kPer;  // 0 or 4 floats
  static_assert(kTail == 0 || sizeof(T) == 4 * sizeof(float));
  V acc[kVecs];
  T tail{};
  for (int p = 0; p < kVecs; ++p) acc[p] = V{} - V{};
  for (size_t g = first; g < end; ++g) {
    // The rows are the cache misses: ask for later ones early, on past this
    // run into the next (whose rows are about this long).
    if (g + kAhead < groups) {
      const char* ahead = reinterpret_cast<const char*>(values + table[g + kAhead] + 4 * size_t(cell[g + kAhead]));
      for (int b = 0; b < 16 * Q; b += 64) __builtin_prefetch(ahead + b);
      __builtin_prefetch(ahead + 16 * Q - 1);
    }
    const float* row = values + table[g] + 4 * size_t(cell[g]);
    for (int p = 0; p < kVecs; ++p) {
      V v;
      std::memcpy(&v, row + kPer * p, sizeof v);
      acc[p] += v;
    }
    if constexpr (kTail != 0) {
      T v;
      std::memcpy(&v, row + kPer * kVecs, sizeof v);
      tail += v;
    }
  }
  std::memcpy(out, acc, sizeof acc);
  if constexpr (kTail != 0) std::memcpy(out + kPer * kVecs, &tail, sizeof tail);
}

// Folds n >= 1 rows of `width` lanes into out (uint16 lanes added, uint32
// lanes ANDed), B vectors of columns at a time held in registers across all
// rows: each row is read once and each result stored once, where folding
// row by row into out loaded and stored the whole result for every row.
template <typename V, typename T, bool kAnd, int B>
inline size_t fold_block(const T* const* rows, size_t n, size_t j, T* out) {
  constexpr size_t kPer = sizeof(V) / sizeof(T);
  V acc[B];
  for (int b = 0; b < B; ++b) std::memcpy(&acc[b], rows[0] + j + b * kPer, sizeof(V));
  for (size_t i = 1; i < n; ++i) {
    const T* r = rows[i] + j;
    for (int b = 0; b < B; ++b) {
      V v;
      std::memcpy(&v, r + b * kPer, sizeof v);
      if constexpr (kAnd) acc[b] &= v;
      else acc[b] += v;
    }
  }
  for (int b = 0; b < B; ++b) std::memcpy(out + j + b * kPer, &acc[b], sizeof(V));
  return j + B * kPer;
}

template <typename V, typename T, bool kAnd>
inline void fold_rows_body(const T* const* rows, size_t n, size_t width, T* out) {
  constexpr size_t kPer = sizeof(V) / sizeof(T);
  size_t j = 0;
  while (j + 8 * kPer <= width) j = fold_block<V, T, kAnd, 8>(rows, n, j, out);
  if (j + 4 * kPer <= width) j = fold_block<V, T, kAnd, 4>(rows, n, j, out);
  if (j + 2 * kPer <= width) j = fold_block<V, T, kAnd, 2>(rows, n, j, out);
  if (j + kPer <= width) j = fold_block<V, T, kAnd, 1>(rows, n, j, out);
  for (; j < width; ++j) {
    T a = rows[0][j];
    for (size_t i = 1; i < n; ++i) {
      if constexpr (kAnd) a &= rows[i][j];
      else a = T(a + rows[i][j]);
    }
    out[j] = a;
  }
}

using v8u16 = uint16_t __attribute__((vector_size(16)));
using v4u32 = uint32_t __attribute__((vector_size(16)));
using v4f = float __attribute__((vector_size(16)));
template <int Q>
void add_rows(const float* values, const size_t* table, const uint16_t* cell, size_t first, size_t end, size_t groups,
              float* out) {
  add_rows_body<v4f, v4f, Q>(values, table, cell, first, end, groups, out);
}

using AddRows = void (*)(const float*, const size_t*, const uint16_t*, size_t, size_t, size_t, float*);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define OPSKIT_LEADS_AVX2 1
using v8f = float __attribute__((vector_size(32)));
template <int Q>
__attribute__((target("avx2"))) void add_rows_avx2(const float* values, const size_t* table, const uint16_t* cell,
                                                   size_t first, size_t end, size_t groups, float* out) {
  add_rows_body<v8f, v4f, Q>(values, table, cell, first, end, groups, out);
}
using v16u16 = uint16_t __attribute__((vector_size(32)));
using v8u32 = uint32_t __attribute__((vector_size(32)));
__attribute__((target("avx2"))) void add_rows_u16_avx2(const uint16_t* const* rows, size_t n, size_t width,
                                                       uint16_t* out) {
  fold_rows_body<v16u16, uint16_t, false>(rows, n, width, out);
}
__attribute__((target("avx2"))) void and_rows_u32_avx2(const uint32_t* const* rows, size_t n, size_t width,
                                                       uint32_t* out) {
  fold_rows_body<v8u32, uint32_t, true>(rows, n, width, out);
}
bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#else
bool have_avx2() { return false; }
#endif

// out = the sum (wrapping) of n >= 1 rows of width lanes.
void add_rows_u16(const uint16_t* const* rows, size_t n, size_t width, uint16_t* out) {
#ifdef OPSKIT_LEADS_AVX2
  if (have_avx2()) return add_rows_u16_avx2(rows, n, width, out);
#endif
  fold_rows_body<v8u16, uint16_t, false>(rows, n, width, out);
}

// out = the AND of n >= 1 rows of width lanes.
void and_rows_u32(const uint32_t* const* rows, size_t n, size_t width, uint32_t* out) {
#ifdef OPSKIT_LEADS_AVX2
  if (have_avx2()) return and_rows_u32_avx2(rows, n, width, out);
#endif
  fold_rows_body<v4u32, uint32_t, true>(rows, n, width, out);
}

// Row adders by row width in quads of values (index 0 unused).
const AddRows* add_rows_table() {
  static const AddRows plain[kFrame / 4 + 1] = {nullptr,     add_rows<1>, add_rows<2>, add_rows<3>,
                                                add_rows<4>, add_rows<5>, add_rows<6>, add_rows<7>, add_rows<8>};
#ifdef OPSKIT_LEADS_AVX2
  static const AddRows wide[kFrame / 4 + 1] = {nullptr,          add_rows_avx2<1>, add_rows_avx2<2>, add_rows_avx2<3>,
                                               add_rows_avx2<4>, add_rows_avx2<5>, add_rows_avx2<6>, add_rows_avx2<7>, add_rows_avx2<8>};
  if (have_avx2()) return wide;
#endif
  return plain;
}

}  // namespace

const GbdtModel::ShapTables& GbdtModel::shap_tables() const {
  if (shap_) return *shap_;
  auto tables = std::make_shared<ShapTables>();
  // A group: subtrees (of one tree or several) tabulated together.
  struct Part {
    std::vector<std::pair<size_t, int>> members;  // (tree, subtree root)
    LeafConditions leaves;
    Classes c;
  };
  std::vector<Part> parts;
  std::vector<std::vector<std::vector<Condition>>> conds(trees_.size());
  size_t budget = 0;  // values the tables will take, at most
  for (size_t ti = 0; ti < trees_.size(); ++ti) {
    const auto& t = trees_[ti];
    if (t[0].feature < 0) continue;
    conds[ti] = leaf_conditions(t);
    // Cut the tree top-down into subtrees small enough to tabulate.
    std::vector<Part> mine;
    bool tabulable = true;
    std::function<void(int)> cut = [&](int j) {
      std::vector<int> leaves;
      subtree_leaves(t, j, leaves);
      if (leaves.size() > 64) {  // cannot fit kMaxCells; skip the costly class count
        cut(t[j].left);
        cut(t[j].right);
        return;
      }
      LeafConditions lc;
      for (int l : leaves) lc.push_back(&conds[ti][size_t(l)]);
      auto c = classes_of(lc);
      if (c.cells <= kMaxCells && c.inputs.size() <= kFrame) mine.push_back({{{ti, j}}, std::move(lc), std::move(c)});
      else if (t[j].feature < 0) tabulable = false;
      else {
        cut(t[j].left);
        cut(t[j].right);
      }
    };
    cut(0);
    size_t need = 0;
    for (const auto& p : mine) need += p.c.cells * kFrame;
    if (!tabulable || budget + need > kMaxTableValues) {
      tables->slow_trees.push_back(ti);
      continue;
    }
    budget += need;
    for (auto& p : mine) parts.push_back(std::move(p));
  }

  // Small groups, of any trees, are merged while the combined cells stay
  // within kMaxCells: each merge saves every lead a row. Smallest first, into
  // the group whose estimated product of classes stays smallest.
  {
    std::vector<size_t> order(parts.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return parts[a].c.cells < parts[b].c.cells; });
    std::vector<Part> merged;
    for (size_t k : order) {
      Part& p = parts[k];
      size_t best = merged.size(), best_cells = kMaxCells + 1;
      for (size_t m = 0; m < merged.size(); ++m) {
        const Classes& a = merged[m].c;
        const Classes& b = p.c;
        size_t est = 1, n = 0, i = 0, j = 0;
        // Refined classes of an input in both: at most the sum of both less one.
        while ((i < a.inputs.size() || j < b.inputs.size()) && est <= kMaxCells) {
          size_t k2;
          if (j == b.inputs.size() || (i < a.inputs.size() && a.inputs[i] < b.inputs[j])) k2 = a.example[i++].size();
          else if (i == a.inputs.size() || b.inputs[j] < a.inputs[i]) k2 = b.example[j++].size();
          else k2 = a.example[i++].size() + b.example[j++].size() - 1;
          est *= k2;
          ++n;
        }
        if (est < best_cells && n <= kFrame) {
          best = m;
          best_cells = est;
        }
      }
      if (best < merged.size()) {
        LeafConditions lc = merged[best].leaves;
        lc.insert(lc.end(), p.leaves.begin(), p.leaves.end());
        auto c = classes_of(lc);
        const size_t grow = c.cells > merged[best].c.cells + p.c.cells ? c.cells - merged[best].c.cells - p.c.cells : 0;
        if (c.cells <= kMaxCells && c.inputs.size() <= kFrame && budget + grow * kFrame <= kMaxTableValues) {
          budget += grow * kFrame;
          merged[best].members.insert(merged[best].members.end(), p.members.begin(), p.members.end());
          merged[best].leaves = std::move(lc);
          merged[best].c = std::move(c);
          continue;
        }
      }
      merged.push_back(std::move(p));
    }
    // Back in tree order (of each group's first subtree), so frames follow the trees.
    std::stable_sort(merged.begin(), merged.end(),
                     [](const Part& a, const Part& b) { return a.members.front() < b.members.front(); });
    parts = std::move(merged);
  }

  // Frames: consecutive groups while their inputs number at most kFrame.
  std::vector<uint32_t> frame_of(parts.size());
  {
    std::vector<int> cur;
    size_t first = 0;
    auto close = [&](size_t end) {
      if (end == first) return;
      tables->frames.push_back({uint32_t(first), uint32_t(end), uint32_t(tables->frame_inputs.size()),
                                uint32_t(cur.size()), 0, 0});
      for (int f : cur) tables->frame_inputs.push_back(uint32_t(f));
      first = end;
    };
    for (size_t gi = 0; gi < parts.size(); ++gi) {
      std::vector<int> u;
      std::set_union(cur.begin(), cur.end(), parts[gi].c.inputs.begin(), parts[gi].c.inputs.end(), std::back_inserter(u));
      if (u.size() > kFrame) {
        close(gi);
        u = parts[gi].c.inputs;
      }
      cur = std::move(u);
      frame_of[gi] = uint32_t(tables->frames.size());
    }
    close(parts.size());
  }
  // Within a frame the inputs most groups use come first, and a group's rows
  // stop after its last input (whole vectors): fewer cache lines per row.
  // Groups of one row width are summed together (runs).
  std::vector<uint32_t> quads(parts.size());
  for (auto& fr : tables->frames) {
    uint32_t* fin = tables->frame_inputs.data() + fr.first_input;
    std::vector<int> uses(width_, 0);
    for (size_t gi = fr.first_group; gi < fr.end_group; ++gi)
      for (int f : parts[gi].c.inputs) ++uses[size_t(f)];
    std::stable_sort(fin, fin + fr.width, [&](uint32_t a, uint32_t b) { return uses[a] > uses[b]; });
    for (size_t gi = fr.first_group; gi < fr.end_group; ++gi) {
      size_t last = 0;
      for (int f : parts[gi].c.inputs) last = std::max(last, size_t(std::find(fin, fin + fr.width, uint32_t(f)) - fin));
      quads[gi] = uint32_t(last / 4 + 1);
    }
    std::vector<size_t> order(fr.end_group - fr.first_group);
    for (size_t k = 0; k < order.size(); ++k) order[k] = fr.first_group + k;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return quads[a] < quads[b]; });
    std::vector<Part> moved;
    std::vector<uint32_t> moved_quads;
    for (size_t g : order) {
      moved.push_back(std::move(parts[g]));
      moved_quads.push_back(quads[g]);
    }
    for (size_t k = 0; k < order.size(); ++k) {
      parts[fr.first_group + k] = std::move(moved[k]);
      quads[fr.first_group + k] = moved_quads[k];
    }
    fr.first_run = uint32_t(tables->runs.size());
    for (size_t gi = fr.first_group; gi < fr.end_group; ++gi)
      if (gi == fr.first_group || quads[gi] != quads[gi - 1]) tables->runs.push_back({uint32_t(gi), uint32_t(gi + 1), quads[gi]});
      else tables->runs.back().end_group = uint32_t(gi + 1);
    fr.end_run = uint32_t(tables->runs.size());
  }

  // Step 1 rows: per input with split points, per class, the offset of that
  // class's part of the cell in every group that depends on the input.
  const auto pts = split_points(trees_, width_);
  const size_t ng = parts.size();
  tables->stride = (ng + 15) / 16 * 16;
  std::vector<int> listed(width_, -1);
  for (size_t f = 0; f < width_; ++f) {
    if (pts[f].empty()) continue;
    bool used = false;
    for (const auto& p : parts)
      used = used || std::binary_search(p.c.inputs.begin(), p.c.inputs.end(), int(f));
    if (!used) continue;
    listed[f] = int(tables->inputs.size());
    tables->inputs.push_back(uint32_t(f));
    tables->first_row.push_back(uint32_t(tables->offsets.size() / std::max<size_t>(tables->stride, 1)));
    tables->class_of.resize(tables->class_of.size() + 256);
    class_of_codes(pts[f], tables->class_of.data() + tables->class_of.size() - 256);
    tables->offsets.resize(tables->offsets.size() + (pts[f].size() + 1) * tables->stride, 0);
  }

  // Step 2 tables: every cell of every group, by the recursive algorithm
  // restricted to the group's leaves.
  // One allocation, aligned to a cache line (a row of 16 floats is one line).
  size_t total = 0;
  for (size_t gi = 0; gi < ng; ++gi) {
    tables->table.push_back(total);
    total += parts[gi].c.cells * 4 * quads[gi];
  }
  tables->values.assign(total + 16);
  std::vector<uint8_t> x(width_, 0);
  std::vector<double> phi(width_, 0.0), bound(width_, 0.0);
  for (size_t gi = 0; gi < ng; ++gi) {
    const auto& c = parts[gi].c;
    const auto& fr = tables->frames[frame_of[gi]];
    const size_t rw = 4 * size_t(quads[gi]);
    const uint32_t* fin = tables->frame_inputs.data() + fr.first_input;
    std::vector<size_t> pos(c.inputs.size()), stride(c.inputs.size());
    size_t s = 1;
    for (size_t k = 0; k < c.inputs.size(); ++k) {
      pos[k] = size_t(std::find(fin, fin + fr.width, uint32_t(c.inputs[k])) - fin);
      stride[k] = s;
      s *= c.example[k].size();
      const int li = listed[size_t(c.inputs[k])];
      if (li < 0) continue;  // one class only
      const auto& p = pts[size_t(c.inputs[k])];
      for (size_t cls = 0; cls <= p.size(); ++cls)
        tables->offsets[(tables->first_row[size_t(li)] + cls) * tables->stride + gi] =
            uint16_t(size_t(c.of_code[k][size_t(first_code(p, cls))]) * stride[k] * quads[gi]);
    }
    // Per subtree: its nodes and the path down to it.
    std::vector<std::vector<char>> keeps;
    for (const auto& [ti, root] : parts[gi].members) {
      const auto& t = trees_[ti];
      std::vector<char> keep(t.size(), 0);
      std::vector<int> parent(t.size(), -1);
      for (size_t j = 0; j < t.size(); ++j)
        if (t[j].feature >= 0) parent[t[j].left] = parent[t[j].right] = int(j);
      std::function<void(int)> mark = [&](int j) {
        keep[j] = 1;
        if (t[j].feature >= 0) {
          mark(t[j].left);
          mark(t[j].right);
        }
      };
      mark(root);
      for (int a = parent[root]; a >= 0; a = parent[a]) keep[a] = 1;
      keeps.push_back(std::move(keep));
    }
    float* out = tables->values.data() + tables->table[gi];
    std::vector<double> largest(c.inputs.size(), 0.0);
    for (size_t cell = 0; cell < s; ++cell) {
      for (size_t k = 0; k < c.inputs.size(); ++k)
        x[c.inputs[k]] = uint8_t(c.example[k][(cell / stride[k]) % c.example[k].size()]);
      for (int f : c.inputs) phi[f] = 0;
      for (size_t m = 0; m < keeps.size(); ++m)
        tree_shap(trees_[parts[gi].members[m].first], max_depth_, x.data(), phi.data(), &keeps[m]);
      for (size_t k = 0; k < c.inputs.size(); ++k) {
        out[cell * rw + pos[k]] = float(phi[c.inputs[k]]);
        largest[k] = std::max(largest[k], std::abs(phi[c.inputs[k]]));
      }
    }
    for (size_t k = 0; k < c.inputs.size(); ++k) bound[size_t(c.inputs[k])] += largest[k];
  }
  // An input's contribution is at most the sum of its largest value in
  // each group; top-k reasons scan inputs in that order, largest first, so
  // the first few fill the list and most others fall below it at once.
  tables->reason_order.resize(width_);
  for (size_t f = 0; f < width_; ++f) tables->reason_order[f] = uint32_t(f);
  std::stable_sort(tables->reason_order.begin(), tables->reason_order.end(),
                   [&](uint32_t a, uint32_t b) { return bound[a] > bound[b]; });
  shap_ = std::move(tables);
  return *shap_;
}

const std::vector<uint32_t>& GbdtModel::reason_order() const { return shap_tables().reason_order; }

void GbdtModel::contributions(const uint8_t* x, double* phi) const {
  const ShapTables& st = shap_tables();
  std::fill(phi, phi + width_, 0.0);
  // Step 1: the cell offset in every group: one row of offsets per input.
  thread_local std::vector<uint16_t> cells;
  thread_local std::vector<const uint16_t*> offset_rows;
  const size_t stride = st.stride, ni = st.inputs.size();
  cells.resize(stride);
  uint16_t* cell = cells.data();
  if (ni == 0) {
    std::fill(cells.begin(), cells.end(), uint16_t(0));
  } else {
    offset_rows.resize(ni);
    const uint16_t* const offsets = st.offsets.data();
    const uint32_t *const inputs = st.inputs.data(), *const first_row = st.first_row.data();
    const uint8_t* const class_of = st.class_of.data();
    const uint16_t** const row = offset_rows.data();
    for (size_t i = 0; i < ni; ++i) row[i] = offsets + (size_t(first_row[i]) + class_of[i * 256 + x[inputs[i]]]) * stride;
    add_rows_u16(row, ni, stride, cell);
  }
  // Step 2: per frame, the dense sum of its groups' rows, then into phi. The
  // first rows are asked for at once (the adders ask ahead for the rest).
  const size_t ng = st.table.size();
  const float* const values = st.values.data();
  for (size_t g = 0; g < std::min(ng, kAhead); ++g) __builtin_prefetch(values + st.table[g] + 4 * size_t(cell[g]));
  static const AddRows* const adders = add_rows_table();
  for (const auto& fr : st.frames) {
    double acc[kFrame] = {};
    float part[kFrame];
    for (uint32_t ri = fr.first_run; ri < fr.end_run; ++ri) {
      const auto& run = st.runs[ri];
      adders[run.quads](values, st.table.data(), cell, run.first_group, run.end_group, ng, part);
      for (uint32_t k = 0; k < 4 * run.quads; ++k) acc[k] += part[k];
    }
    const uint32_t* in = st.frame_inputs.data() + fr.first_input;
    for (uint32_t k = 0; k < fr.width; ++k) phi[in[k]] += acc[k];
  }
  for (size_t ti : st.slow_trees) tree_shap(trees_[ti], max_depth_, x, phi, nullptr);
}

// QuickScorer tables (see margin()). Leaves are ranked left to right, so the
// leaves under a node's left child are a run of bits; a split a code fails
// rules that run out.
struct GbdtModel::Masks {
  std::vector<uint32_t> inputs;     // inputs that some tree splits on
  std::vector<uint8_t> class_of;    // per listed input: 256 codes -> class
  std::vector<uint32_t> first_row;  // per listed input: the row of its class 0
  std::vector<uint32_t> base;       // per tree: leaves left by splits that every code fails
  std::vector<uint32_t> rows;       // per row: one mask per tree
  std::vector<double> leaf_value;   // per tree: 32 values by leaf rank
};

namespace {

// Mask rows beyond this many bytes are not built (the trees are walked).
constexpr size_t kMaxMaskBytes = size_t(64) << 20;

// Leaf ranks (left to right) under node j: first rank and count per node.
void rank_leaves(const std::vector<TreeNode>& t, int j, int& next, std::vector<int>& lo, std::vector<int>& count) {
  if (t[j].feature < 0) {
    lo[j] = next++;
    count[j] = 1;
    return;
  }
  rank_leaves(t, t[j].left, next, lo, count);
  rank_leaves(t, t[j].right, next, lo, count);
  lo[j] = lo[t[j].left];
  count[j] = count[t[j].left] + count[t[j].right];
}

}  // namespace

double GbdtModel::margin(const uint8_t* x) const {
  if (!masks_) return margin_walk(x);
  const Masks& mk = *masks_;
  const size_t nt = trees_.size();
  uint32_t local[512];
  thread_local std::vector<uint32_t> big;
  uint32_t* m = local;
  if (nt > 512) {
    big.resize(nt);
    m = big.data();
  }
  thread_local std::vector<const uint32_t*> rows;
  const size_t ni = mk.inputs.size();
  rows.resize(ni + 1);
  // Locals: stores into `rows` would otherwise make the compiler reload them.
  const uint32_t* const mask_rows = mk.rows.data();
  const uint32_t *const inputs = mk.inputs.data(), *const first_row = mk.first_row.data();
  const uint8_t* const class_of = mk.class_of.data();
  const uint32_t** const row = rows.data();
  row[0] = mk.base.data();
  for (size_t i = 0; i < ni; ++i) row[i + 1] = mask_rows + (size_t(first_row[i]) + class_of[i * 256 + x[inputs[i]]]) * nt;
  and_rows_u32(row, ni + 1, nt, m);
  // The exit leaf is the lowest bit left. Added in the walk's order, so
  // both give identical scores.
  const double* lv = mk.leaf_value.data();
  double s = base_;
  size_t t = 0;
  for (; t + kLanes <= nt; t += kLanes) {
    double v = 0;
    for (size_t l = 0; l < kLanes; ++l) v += lv[(t + l) * 32 + size_t(__builtin_ctz(m[t + l]))];
    s += v;
  }
  for (; t < nt; ++t) s += lv[t * 32 + size_t(__builtin_ctz(m[t]))];
  return s;
}

double GbdtModel::margin_walk(const uint8_t* x) const {
  double m = base_;
  const FlatNode* nd = flat_.data();
  const size_t nt = roots_.size();
  size_t t = 0;
  for (; t + kLanes <= nt; t += kLanes) {
    int32_t j[kLanes];
    for (size_t l = 0; l < kLanes; ++l) j[l] = roots_[t + l];
    for (int s = steps_[t / kLanes]; s > 0; --s)
      for (size_t l = 0; l < kLanes; ++l) j[l] = step(nd[j[l]], x);
    double v = 0;
    for (size_t l = 0; l < kLanes; ++l) v += value_[size_t(j[l])];
    m += v;
  }
  for (; t < nt; ++t) {
    int32_t a = roots_[t];
    while (nd[a].left != a) a = step(nd[a], x);
    m += value_[size_t(a)];
  }
  return m;
}

void GbdtModel::flatten() {
  flat_.clear();
  roots_.clear();
  steps_.clear();
  value_.clear();
  int group_depth = 0;
  for (const auto& t : trees_) {
    const int32_t base = int32_t(flat_.size());
    for (size_t j = 0; j < t.size(); ++j) {
      const int32_t self = base + int32_t(j);
      if (t[j].feature >= 0)
        flat_.push_back(FlatNode{uint16_t(t[j].feature), int16_t(std::clamp(t[j].threshold, -1, 255)),
                                 base + t[j].left, base + t[j].right});
      else
        flat_.push_back(FlatNode{0, 255, self, self});
      value_.push_back(t[j].feature >= 0 ? 0.0 : t[j].value);
    }
    roots_.push_back(base);
    group_depth = std::max(group_depth, tree_depth(t, 0));
    if (roots_.size() % kLanes == 0) {
      steps_.push_back(group_depth);
      group_depth = 0;
    }
  }
  shap_.reset();
  masks_.reset();

  // QuickScorer masks, unless a tree has more than 32 leaves or they would be too big.
  const size_t nt = trees_.size();
  if (nt == 0) return;
  for (const auto& t : trees_)
    if (size_t(std::count_if(t.begin(), t.end(), [](const TreeNode& n) { return n.feature < 0; })) > 32) return;
  const auto pts = split_points(trees_, width_);
  size_t nrows = 0;
  for (const auto& p : pts)
    if (!p.empty()) nrows += p.size() + 1;
  if (nrows * nt * sizeof(uint32_t) > kMaxMaskBytes) return;
  auto mk = std::make_shared<Masks>();
  std::vector<int> listed(width_, -1);
  for (size_t f = 0; f < width_; ++f) {
    if (pts[f].empty()) continue;
    listed[f] = int(mk->inputs.size());
    mk->first_row.push_back(uint32_t(mk->inputs.empty() ? 0 : mk->first_row.back() + pts[mk->inputs.back()].size() + 1));
    mk->inputs.push_back(uint32_t(f));
    mk->class_of.resize(mk->class_of.size() + 256);
    class_of_codes(pts[f], mk->class_of.data() + mk->class_of.size() - 256);
  }
  mk->rows.assign(nrows * nt, ~uint32_t(0));
  mk->base.assign(nt, ~uint32_t(0));
  mk->leaf_value.assign(nt * 32, 0.0);
  for (size_t ti = 0; ti < nt; ++ti) {
    const auto& t = trees_[ti];
    std::vector<int> lo(t.size()), count(t.size());
    int next = 0;
    rank_leaves(t, 0, next, lo, count);
    for (size_t j = 0; j < t.size(); ++j) {
      const auto& n = t[j];
      if (n.feature < 0) {
        mk->leaf_value[ti * 32 + size_t(lo[j])] = n.value;
        continue;
      }
      const int l = n.left, c = count[l];
      const uint32_t run = c == 32 ? ~uint32_t(0) : ((uint32_t(1) << c) - 1) << lo[l];
      if (n.threshold < 0) mk->base[ti] &= ~run;  // every code goes right
      if (n.threshold < 0 || n.threshold >= 255) continue;
      const size_t f = size_t(n.feature);
      const auto& p = pts[f];
      for (size_t cls = 0; cls <= p.size(); ++cls)
        if (first_code(p, cls) > n.threshold) mk->rows[(mk->first_row[size_t(listed[f])] + cls) * nt + ti] &= ~run;
    }
  }
  masks_ = std::move(mk);
}

double GbdtModel::expected() const {
  double e = base_;
  for (const auto& t : trees_) e += tree_expected(t, 0);
  return e;
}

nlohmann::json GbdtModel::to_json() const {
  auto trees = nlohmann::json::array();
  for (const auto& t : trees_) {
    // Columnar per tree keeps the file compact.
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
    trees.push_back({{"feature", f}, {"threshold", th}, {"left", l}, {"right", r}, {"value", v}, {"cover", c}});
  }
  return {{"base", base_}, {"trees", trees}};
}

GbdtModel GbdtModel::from_json(const nlohmann::json& j, size_t width) {
  GbdtModel m;
  m.width_ = width;
  if (width == 0 || width > 65535) throw DataError("model has no inputs or too many");
  m.base_ = j.at("base").get<double>();
  if (!std::isfinite(m.base_)) throw DataError("tree base must be finite");
  for (const auto& tj : j.at("trees")) {
    auto f = tj.at("feature").get<std::vector<int>>();
    auto th = tj.at("threshold").get<std::vector<int>>();
    auto l = tj.at("left").get<std::vector<int>>();
    auto r = tj.at("right").get<std::vector<int>>();
    auto v = tj.at("value").get<std::vector<double>>();
    auto c = tj.at("cover").get<std::vector<double>>();
    size_t n = f.size();
    if (n == 0 || th.size() != n || l.size() != n || r.size() != n || v.size() != n || c.size() != n)
      throw DataError("malformed tree: arrays of different lengths");
    if (n > 100000) throw DataError("malformed tree: too many nodes");
    std::vector<TreeNode> t(n);
    for (size_t i = 0; i < n; ++i) {
      t[i] = TreeNode{f[i], th[i], l[i], r[i], v[i], c[i]};
      if (!std::isfinite(v[i]) || !(c[i] > 0)) throw DataError("malformed tree: bad value or cover");
      if (f[i] >= 0) {
        // Children must come later than their parent: no cycles, bounded depth.
        if (size_t(f[i]) >= width || l[i] <= int(i) || r[i] <= int(i) || size_t(l[i]) >= n || size_t(r[i]) >= n)
          throw DataError("malformed tree: bad feature or child index");
      }
    }
    // Every node but the root has exactly one parent.
    std::vector<int> parents(n, 0);
    for (size_t i = 0; i < n; ++i)
      if (f[i] >= 0) {
        parents[l[i]]++;
        parents[r[i]]++;
      }
    for (size_t i = 1; i < n; ++i)
      if (parents[i] != 1) throw DataError("malformed tree: node with " + std::to_string(parents[i]) + " parents");
    std::vector<int> node_depth(n, 0);
    int depth = 0;
    for (size_t i = 0; i < n; ++i)
      if (f[i] >= 0) {
        node_depth[l[i]] = node_depth[r[i]] = node_depth[i] + 1;
        depth = std::max(depth, node_depth[i] + 1);
      }
    if (depth > 64) throw DataError("malformed tree: deeper than 64");
    m.max_depth_ = std::max(m.max_depth_, depth);
    m.trees_.push_back(std::move(t));
  }
  m.flatten();
  return m;
}

}  // namespace opskit::leads
