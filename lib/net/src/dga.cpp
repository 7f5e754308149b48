// DGA model: hashed n-gram logistic regression (stage 1) and gradient-boosted
// trees over its out-of-fold logit and dense statistics (stage 2).
#include "net/dga.hpp"

#include <libpsl.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <memory>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/text.hpp"

namespace opskit::net {

namespace {

const psl_ctx_t* psl() {
  static const psl_ctx_t* ctx = [] {
    const psl_ctx_t* c = psl_latest(nullptr);
    return c ? c : psl_builtin();
  }();
  return ctx;
}

inline uint32_t fnv(std::string_view s, uint32_t seed) {
  uint32_t h = 2166136261u ^ seed;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string b64_encode(const std::string& in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8 | uint8_t(in[i + 2]);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16 | (i + 1 < in.size() ? uint8_t(in[i + 1]) << 8 : 0);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool b64_decode(const std::string& in, std::string& out) {
  int map[256];
  std::fill(std::begin(map), std::end(map), -1);
  for (int i = 0; i < 64; ++i) map[static_cast<unsigned char>(kB64[i])] = i;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    if (c == '=') break;
    if (map[c] < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(map[c]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

bool is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; }

}  // namespace

std::string normalize_domain(std::string_view name) {
  name = text::trim(name);
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string s(name);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

namespace {

// The libpsl walk of a normalised name (NUL-terminated: libpsl takes C strings).
DomainSplit walk_public_suffixes(const std::string& n) {
  DomainSplit split;
  if (n.empty()) return split;
  const char* reg = psl_registrable_domain(psl(), n.c_str());
  if (!reg) return split;  // the name is itself a public suffix or has a single label: judge the first label
  split.registrable_at = static_cast<size_t>(reg - n.c_str());
  split.listed = true;
  return split;
}

DomainParts parts_of(std::string_view n, DomainSplit split) {
  DomainParts parts;
  if (n.empty()) return parts;
  parts.registrable = split.registrable(n);
  parts.label = split.label(n);
  parts.suffix = split.suffix(n);
  parts.subdomain = split.subdomain(n);
  parts.listed = split.listed;
  return parts;
}

// Bytes no public-suffix rule holds (rules are a-z, 0-9, '-', the '*' and
// '!' markers, and UTF-8 above 0x7f); upper case is folded before a lookup.
struct UnlistableTable {
  bool byte[256] = {};
  constexpr UnlistableTable() {
    for (int c = 0; c < 0x80; ++c)
      byte[c] = !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '*' || c == '!' || c == '.');
  }
};
constexpr UnlistableTable kUnlistable;

// A suffix's hash, built from its last byte backwards, so every suffix of a
// name is hashed in one pass from the right.
inline uint64_t suffix_step(uint64_t h, unsigned char c) { return (h ^ c) * 0x100000001b3ull; }
constexpr uint64_t kSuffixSeed = 0xcbf29ce484222325ull;

}  // namespace

DomainParts split_domain(std::string_view name) {
  std::string n = normalize_domain(name);
  return parts_of(n, walk_public_suffixes(n));
}

const DomainParts& DomainSplitCache::split(std::string_view name) {
  std::string n = normalize_domain(name);
  parts_ = parts_of(n, locate(n));
  return parts_;
}

// A name ...B.C.A, A an anchor (no wildcard rule under it), C listable, B
// holding a byte no rule holds: no rule can name B, so of the suffixes
// longer than A only C.A (by a rule) and B.C.A (by a wildcard rule
// "*.C.A") can be public; none longer, as each holds B below its first
// label. With "*.C.A" the name may be a public suffix itself: left to the
// full walk (nullopt). `at` is a byte of B. ASCII only, where libpsl looks
// the names up as they are (no IDNA conversion).
std::optional<DomainSplit> DomainSplitCache::split_above(std::string_view n, size_t anchor, size_t label_at, size_t at) {
  std::string_view tail = n.substr(label_at);
  if (std::any_of(tail.begin(), tail.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) return std::nullopt;
  std::string probe = "_." + std::string(tail);  // '_' is in no rule: public only through "*.C.A"
  if (psl_is_public_suffix(psl(), probe.c_str())) return std::nullopt;
  if (!psl_is_public_suffix(psl(), probe.c_str() + 2)) return DomainSplit{anchor, true};
  size_t dot = n.rfind('.', at);
  return DomainSplit{dot == std::string_view::npos ? 0 : dot + 1, true};  // B.C.A
}

DomainSplit DomainSplitCache::locate(std::string_view n) {
  if (n.empty()) return {};
  if (!anchors_.empty()) {
    auto anchor_at = [&](uint64_t h, std::string_view tail) {
      const Anchor& a = anchors_[(h | 1) & (kAnchors - 1)];
      return a.hash == (h | 1) && !a.wildcard_below && a.name == tail;
    };
    // From the right: at each dot the suffix after it is complete. An
    // anchor found there is the answer as soon as the label above it shows
    // a byte no rule holds (a tunnel's label: at once, not after it all).
    // An anchor under a label of listable bytes only waits one label more:
    // if that one shows such a byte, two lookups of short names settle it
    // (split_above).
    uint64_t h = kSuffixSeed;
    size_t anchor = std::string_view::npos;  // the anchor whose label above is being read
    size_t above = std::string_view::npos;   // the anchor under that listable label (at label_at)
    size_t label_at = 0;
    int dots = 0;
    for (size_t i = n.size(); i-- > 0;) {
      unsigned char c = static_cast<unsigned char>(n[i]);
      if (c == '.') {
        above = anchor;
        label_at = i + 1;
        anchor = std::string_view::npos;
        if (dots++ >= 1 && anchor_at(h, n.substr(i + 1))) anchor = i + 1;
      } else if (kUnlistable.byte[c]) {
        if (anchor != std::string_view::npos) return {anchor, true};
        if (above != std::string_view::npos) {
          if (std::optional<DomainSplit> split = split_above(n, above, label_at, i)) return *split;
          break;
        }
      }
      h = suffix_step(h, c);
    }
    if (dots >= 1 && anchor_at(h, n)) return {0, true};
  }
  std::string text(n);
  DomainSplit split = walk_public_suffixes(text);
  if (split.listed) {
    std::string_view reg = split.registrable(text);
    uint64_t h = kSuffixSeed;
    for (size_t i = reg.size(); i-- > 0;) h = suffix_step(h, static_cast<unsigned char>(reg[i]));
    if (anchors_.empty()) anchors_.resize(kAnchors);
    Anchor& a = anchors_[(h | 1) & (kAnchors - 1)];
    if (a.hash != (h | 1) || a.name != reg) {
      a.hash = h | 1;
      a.name.assign(reg);
      // '_' is in no rule: "_.name" is a public suffix only through a wildcard rule "*.name".
      a.wildcard_below = psl_is_public_suffix(psl(), ("_." + a.name).c_str());
    }
  }
  return split;
}

DgaModel::DgaModel() = default;  // weights come with training or loading

namespace {

constexpr uint64_t kWordKeySeed = 1469598103934665603ull;
inline uint64_t word_key_step(uint64_t h, unsigned char c) { return (h ^ c) * 1099511628211ull; }
inline uint64_t word_key(std::string_view w) {
  uint64_t h = kWordKeySeed;
  for (unsigned char c : w) h = word_key_step(h, c);
  return h;
}
constexpr size_t kMinWord = 3, kMaxWord = 12;  // vocabulary word lengths
// A substring is a word when it recurs across labels (b benign, d DGA):
// random labels share short pieces by chance, long ones hardly ever, so the
// longer the piece the fewer labels it needs.
inline bool admit_word(size_t len, uint32_t b, uint32_t d) {
  if (len >= 6) return b + d >= 2;
  if (len == 5) return b + d >= 3;
  if (len == 4) return b >= 3 || b + d >= 5;
  return b >= 3;
}
constexpr size_t kFeatureWord = 4;             // shorter words are already n-grams
constexpr float kTypicalOdds = 1.0f;           // a word e times likelier in one class's labels than the other's
constexpr size_t kMinDictWord = 3, kMaxDictWord = 20;
inline uint64_t pair_key(std::string_view a, std::string_view b) { return word_key(a) ^ (word_key(b) * 0x9E3779B97F4A7C15ull); }
constexpr float kUncoveredCost = -7.0f;        // log-probability of a character no word covers

// Character trigram models: a-z, 0-9, hyphen (and anything else), boundary.
constexpr int kAlphabet = 38, kBoundary = 37;
constexpr size_t kCharTable = size_t(kAlphabet) * kAlphabet * kAlphabet;
// Vocabulary words and stored suffixes keep to these, so the model file stays plain text.
inline bool word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }
inline bool plain_suffix(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return word_char(c) || c == '.' || c == '_'; });
}

inline int char_index(unsigned char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '0' && c <= '9') return 26 + (c - '0');
  return 36;
}

std::vector<float> fit_char_model(const std::vector<std::string_view>& labels) {
  std::vector<double> tri(kCharTable, 0), bi(size_t(kAlphabet) * kAlphabet, 0);
  for (auto l : labels) {
    int a = kBoundary, b = kBoundary;
    for (size_t i = 0; i <= l.size(); ++i) {
      int c = i < l.size() ? char_index(static_cast<unsigned char>(l[i])) : kBoundary;
      tri[(size_t(a) * kAlphabet + b) * kAlphabet + c] += 1;
      bi[size_t(a) * kAlphabet + b] += 1;
      a = b;
      b = c;
    }
  }
  std::vector<float> lp(kCharTable);
  constexpr double k = 0.1;  // add-k smoothing
  for (size_t i = 0; i < kCharTable; ++i) lp[i] = static_cast<float>(std::log((tri[i] + k) / (bi[i / kAlphabet] + k * kAlphabet)));
  return lp;
}

// Stage-2 features, in this order (x[0] is the first stage's logit).
enum Dense : int {
  kLogit, kLength, kEntropy, kDigitShare, kDigitRuns, kVowelShare, kConsonantRun, kHyphens, kDistinctShare,
  kWords, kWordCover, kUncovered, kLongestWord, kSegmentCost, kBenignChars, kDgaChars, kCharsDiff,
  kWordOddsMean, kWordOddsMax, kWordOddsMin, kSuffixOdds, kSuffixLabels, kHexOnly, kAlternation,
  kFamilyRatio, kFamilyCharRatio,
  // The dictionary segmentation: words, share of letters covered, shortest
  // word, the words' DGA log odds (least, most, mean), the rarest word's log
  // share, share of adjacent pairs seen in benign training labels.
  kDictWords, kDictCover, kDictShortest, kDictOddsMin, kDictOddsMax, kDictOddsMean, kDictRarest, kDictPairsBenign,
  // The least benign-looking spot of the label (its rarest trigram under the
  // benign character model) and the share of its trigrams that are rare
  // there; letters no dictionary word covers, and the longest word.
  kBenignCharsMin, kBenignRareShare, kDictUncovered, kDictLongest,
  // Shares of the label covered by vocabulary words (4+ letters) typical of
  // DGA names and of benign names: word-list generators reuse their words.
  kDgaWordCover, kBenignWordCover,
  kDenseCount
};
static_assert(kDenseCount == DgaModel::kDense);

inline double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

constexpr size_t kMaxFamilyLength = 40;  // longer labels share the last length bin
inline uint32_t trigram_index(int a, int b, int c) { return static_cast<uint32_t>((a * kAlphabet + b) * kAlphabet + c); }
template <typename F>
void for_trigrams(std::string_view l, F&& f) {
  int a = kBoundary, b = kBoundary;
  for (size_t i = 0; i <= l.size(); ++i) {
    int c = i < l.size() ? char_index(static_cast<unsigned char>(l[i])) : kBoundary;
    f(trigram_index(a, b, c));
    a = b;
    b = c;
  }
}
// A trigram benign names use less than about once in e^6 times its context.
constexpr float kRareTrigram = -6.0f;

// Histogram gradient boosting with the logistic loss, trees grown level by
// level to a fixed depth; features are cut into at most 64 quantile bins.
DgaTrees fit_trees(const std::vector<float>& x, const std::vector<uint8_t>& y, const DgaModel::TrainOptions& o) {
  constexpr int nf = DgaModel::kDense;
  constexpr size_t kBins = 64, kMinLeaf = 20;
  constexpr double kLambda = 1.0;
  const size_t n = y.size();
  std::vector<DgaTrees::Node> nodes;
  std::vector<int32_t> roots;
  if (!n) return {};
  std::vector<std::vector<float>> cuts(nf);
  std::vector<uint8_t> bins(n * nf);
  std::vector<float> col(n);
  for (int f = 0; f < nf; ++f) {
    for (size_t i = 0; i < n; ++i) col[i] = x[i * nf + f];
    std::sort(col.begin(), col.end());
    for (size_t q = 1; q < kBins; ++q) {
      float v = col[std::min(n - 1, q * n / kBins)];
      if (v < col.back() && (cuts[f].empty() || v > cuts[f].back())) cuts[f].push_back(v);
    }
    for (size_t i = 0; i < n; ++i)
      bins[i * nf + f] = static_cast<uint8_t>(std::lower_bound(cuts[f].begin(), cuts[f].end(), x[i * nf + f]) - cuts[f].begin());
  }
  size_t pos = 0;
  for (uint8_t v : y) pos += v;
  double wpos = pos ? double(n) / (2.0 * pos) : 1, wneg = pos < n ? double(n) / (2.0 * (n - pos)) : 1;
  std::vector<double> f_score(n, 0.0), g(n), h(n);
  std::vector<size_t> rows(n);
  struct Hist {
    double g = 0, h = 0;
    size_t c = 0;
  };
  std::vector<Hist> hist(size_t(nf) * (kBins + 1));
  struct Pending {
    int32_t node;
    size_t begin, end;
    int depth;
  };
  for (int tree = 0; tree < o.trees; ++tree) {
    for (size_t i = 0; i < n; ++i) {
      double p = sigmoid(f_score[i]), w = y[i] ? wpos : wneg;
      g[i] = w * (p - y[i]);
      h[i] = std::max(1e-9, w * p * (1 - p));
      rows[i] = i;
    }
    roots.push_back(static_cast<int32_t>(nodes.size()));
    nodes.emplace_back();
    std::vector<Pending> todo{{roots.back(), 0, n, 0}};
    while (!todo.empty()) {
      Pending p = todo.back();
      todo.pop_back();
      double G = 0, H = 0;
      for (size_t r = p.begin; r < p.end; ++r) G += g[rows[r]], H += h[rows[r]];
      int best_f = -1;
      size_t best_b = 0;
      double best_gain = 1e-9;
      if (p.depth < o.depth && p.end - p.begin >= 2 * kMinLeaf) {
        std::fill(hist.begin(), hist.end(), Hist{});
        for (size_t r = p.begin; r < p.end; ++r) {
          size_t i = rows[r];
          const uint8_t* b = &bins[i * nf];
          for (int f = 0; f < nf; ++f) {
            Hist& e = hist[size_t(f) * (kBins + 1) + b[f]];
            e.g += g[i];
            e.h += h[i];
            ++e.c;
          }
        }
        double parent = G * G / (H + kLambda);
        for (int f = 0; f < nf; ++f) {
          double gl = 0, hl = 0;
          size_t cl = 0;
          for (size_t b = 0; b < cuts[f].size(); ++b) {
            const Hist& e = hist[size_t(f) * (kBins + 1) + b];
            gl += e.g, hl += e.h, cl += e.c;
            size_t cr = (p.end - p.begin) - cl;
            if (cl < kMinLeaf || cr < kMinLeaf) continue;
            double gr = G - gl, hr = H - hl;
            double gain = gl * gl / (hl + kLambda) + gr * gr / (hr + kLambda) - parent;
            if (gain > best_gain) best_gain = gain, best_f = f, best_b = b;
          }
        }
      }
      if (best_f < 0) {
        float v = static_cast<float>(-G / (H + kLambda) * o.tree_learning_rate);
        nodes[p.node].value = v;
        for (size_t r = p.begin; r < p.end; ++r) f_score[rows[r]] += v;
        continue;
      }
      auto mid = std::partition(rows.begin() + p.begin, rows.begin() + p.end,
                                [&](size_t i) { return bins[i * nf + best_f] <= best_b; });
      size_t m = static_cast<size_t>(mid - rows.begin());
      auto left = static_cast<int32_t>(nodes.size());
      nodes.emplace_back();
      nodes.emplace_back();
      DgaTrees::Node& nd = nodes[p.node];
      nd.feature = best_f;
      nd.threshold = cuts[best_f][best_b];
      nd.left = left;
      nd.right = left + 1;
      todo.push_back({left, p.begin, m, p.depth + 1});
      todo.push_back({left + 1, m, p.end, p.depth + 1});
    }
  }
  return DgaTrees::complete(nodes, roots, 0);
}

}  // namespace

DgaTrees DgaTrees::complete(const std::vector<Node>& nodes, const std::vector<int32_t>& roots, float base) {
  // Levels below each node, children first (they come after their parents).
  std::vector<uint32_t> height(nodes.size());
  for (size_t k = nodes.size(); k-- > 0;)
    if (const Node& n = nodes[k]; n.feature >= 0) height[k] = 1 + std::max(height[size_t(n.left)], height[size_t(n.right)]);
  DgaTrees t;
  t.base = base;
  for (int32_t r : roots) t.depth = std::max(t.depth, height[size_t(r)]);
  if (t.depth > kMaxDepth) throw std::length_error("trees deeper than " + std::to_string(kMaxDepth) + " levels");
  if ((roots.size() << t.depth) > (size_t(1) << 24)) throw std::length_error("more than 2^24 leaves");
  const size_t splits = (size_t(1) << t.depth) - 1;
  std::vector<float>& thresholds = t.thresholds.owned();
  std::vector<uint8_t>& features = t.features.owned();
  std::vector<float>& leaves = t.leaves.owned();
  thresholds.assign(roots.size() * splits, 0);
  features.assign(roots.size() * splits, 0);
  leaves.assign(roots.size() * (splits + 1), 0);
  struct Visit {
    int32_t node;
    size_t slot;  // in the complete tree, level by level
    uint32_t level;
  };
  std::vector<Visit> todo;
  for (size_t k = 0; k < roots.size(); ++k) {
    todo.assign(1, {roots[k], 0, 0});
    while (!todo.empty()) {
      Visit v = todo.back();
      todo.pop_back();
      const Node& n = nodes[size_t(v.node)];
      if (n.feature >= 0) {
        thresholds[k * splits + v.slot] = n.threshold;
        features[k * splits + v.slot] = static_cast<uint8_t>(n.feature);
        todo.push_back({n.left, 2 * v.slot + 1, v.level + 1});
        todo.push_back({n.right, 2 * v.slot + 2, v.level + 1});
        continue;
      }
      // A leaf: every slot of the last level under it (the splits above those stay feature 0, threshold 0).
      size_t first = v.slot;
      for (uint32_t level = v.level; level < t.depth; ++level) first = 2 * first + 1;
      std::fill_n(leaves.begin() + static_cast<ptrdiff_t>(k * (splits + 1) + first - splits),
                  size_t(1) << (t.depth - v.level), n.value);
    }
  }
  return t;
}

double DgaTrees::predict(const float* x) const {
  double z = base;
  const size_t splits = (size_t(1) << depth) - 1;
  const float* threshold = thresholds.data();
  const uint8_t* feature = features.data();
  const float* leaf = leaves.data();
  for (size_t k = count(); k > 0; --k) {
    size_t i = 0;
    // NaN goes right, as "x <= threshold" is false for it.
    for (uint32_t level = 0; level < depth; ++level) i = 2 * i + 1 + !(x[feature[i]] <= threshold[i]);
    z += leaf[i - splits];
    threshold += splits;
    feature += splits;
    leaf += splits + 1;
  }
  return z;
}

void DgaModel::segment(std::string_view label, std::vector<std::string_view>& words, size_t& uncovered, float& cost) const {
  words.clear();
  uncovered = 0;
  size_t n = std::min<size_t>(label.size(), 64);
  float best[65];
  uint8_t from[65];  // length of the last piece (0: an uncovered character or a hyphen)
  // Every piece's key first (grown a letter at a time from each start), its
  // slot asked for at once: the table is larger than the caches, and the
  // lookups below then find their slots on the way instead of missing one
  // after another.
  uint64_t keys[65][kMaxWord + 1];  // [end][length]
  for (size_t j = 0; j < n; ++j) {
    uint64_t h = kWordKeySeed;
    for (size_t len = 1; len <= kMaxWord && j + len <= n; ++len) {
      h = word_key_step(h, static_cast<unsigned char>(label[j + len - 1]));
      keys[j + len][len] = h;
      if (len >= kMinWord) vocab_.prefetch(h);
    }
  }
  best[0] = 0;
  for (size_t i = 1; i <= n; ++i) {
    best[i] = best[i - 1] + (label[i - 1] == '-' ? 0.0f : kUncoveredCost);
    from[i] = 0;
    for (size_t len = kMinWord; len <= std::min(kMaxWord, i); ++len) {
      const Word* wd = vocab_.find(keys[i][len]);
      if (!wd) continue;
      float c = best[i - len] + wd->log_p;
      if (c > best[i]) {
        best[i] = c;
        from[i] = static_cast<uint8_t>(len);
      }
    }
  }
  cost = best[n];
  for (size_t i = n; i > 0;) {
    if (from[i]) {
      words.push_back(label.substr(i - from[i], from[i]));
      i -= from[i];
    } else {
      if (label[i - 1] != '-') ++uncovered;
      --i;
    }
  }
  std::reverse(words.begin(), words.end());
}

namespace {
// log(c) and log(c + 0.5) for the small counts most words have: the
// vocabulary and the dictionary are rebuilt at every training and JSON load.
struct CountLogs {
  static constexpr uint32_t kSize = 4096;
  double whole[kSize], half[kSize];
  CountLogs() {
    for (uint32_t c = 0; c < kSize; ++c) {
      whole[c] = c ? std::log(double(c)) : -INFINITY;
      half[c] = std::log(c + 0.5);
    }
  }
};
const CountLogs& count_logs() {
  static const CountLogs t;
  return t;
}
inline double log_count(uint64_t c) { return c < CountLogs::kSize ? count_logs().whole[c] : std::log(double(c)); }
inline double log_half(uint64_t c) { return c < CountLogs::kSize ? count_logs().half[c] : std::log(c + 0.5); }
}  // namespace

void DgaModel::WordTable::fill(const std::vector<uint64_t>& keys, const std::vector<Word>& words) {
  shift = 64 - 4;
  while ((size_t(1) << (64 - shift)) < keys.size() + keys.size() / 2) --shift;
  std::vector<Slot>& table = slots.owned();
  table.assign(keys.empty() ? 0 : size_t(1) << (64 - shift), Slot{});
  if (table.empty()) return;
  size_t mask = table.size() - 1;
  // Slots are random accesses into a table larger than the caches: ask for
  // a few ahead so their misses overlap.
  constexpr size_t kAhead = 16;
  for (size_t k = 0; k < keys.size(); ++k) {
    if (k + kAhead < keys.size()) {
      __builtin_prefetch(&table[home(keys[k + kAhead])], 1);
    }
    uint64_t key = keys[k] | (keys[k] == 0);  // 0 marks an empty slot
    size_t i = home(key);
    while (table[i].key != 0 && table[i].key != key) i = (i + 1) & mask;
    table[i] = {key, words[k]};
  }
}

void DgaModel::WordTable::prefetch(uint64_t key) const {
  if (!slots.empty()) __builtin_prefetch(&slots[home(key)]);
}

const DgaModel::Word* DgaModel::WordTable::find(uint64_t key) const {
  if (slots.empty()) return nullptr;
  key |= key == 0;
  const Slot* s = slots.data();
  size_t mask = slots.size() - 1;
  for (size_t i = home(key);; i = (i + 1) & mask) {
    if (s[i].key == key) return &s[i].word;
    if (s[i].key == 0) return nullptr;
  }
}

// A word table from (word, benign count, DGA count): each word's log
// frequency (by `log_freq`, over `log_total`) and its smoothed log odds of
// a DGA label against the class totals. The vocabulary and the dictionary
// smooth differently, and that smoothing is part of the model's bytes.
void DgaModel::fill_word_table(WordTable& table, const std::vector<std::tuple<std::string, uint32_t, uint32_t>>& words,
                               double (*log_freq)(uint64_t), double log_total, double log_nb, double log_nd) {
  std::vector<uint64_t> keys(words.size());
  std::vector<Word> stats(words.size());
  for (size_t k = 0; k < words.size(); ++k) {
    auto& [w, b, d] = words[k];
    keys[k] = word_key(w);
    stats[k] = {static_cast<float>(log_freq(uint64_t(b) + d) - log_total),
                static_cast<float>((log_half(d) - log_nd) - (log_half(b) - log_nb))};
  }
  table.fill(keys, stats);
}

void DgaModel::set_vocabulary(std::vector<std::tuple<std::string, uint32_t, uint32_t>> words, bool sorted) {
  if (!sorted) std::sort(words.begin(), words.end());
  words_ = std::move(words);
  double total = 0;
  for (auto& [w, b, d] : words_) total += b + d;
  double nb = std::max<uint32_t>(vocab_benign_, 1), nd = std::max<uint32_t>(vocab_dga_, 1);
  fill_word_table(vocab_, words_, log_count, std::log(total), std::log(nb), std::log(nd));
}

void DgaModel::set_dictionary(std::vector<std::tuple<std::string, uint32_t, uint32_t>> words, bool sorted) {
  if (!sorted) std::sort(words.begin(), words.end());
  dict_ = std::move(words);
  double total = 0;
  for (auto& [w, b, d] : dict_) total += b + d;
  fill_word_table(dict_table_, dict_, log_half, std::log(total + 1), std::log(dict_benign_ + 1.0),
                  std::log(dict_dga_ + 1.0));
}

void DgaModel::dict_segment(std::string_view label, std::vector<std::string_view>& words, size_t& covered) const {
  words.clear();
  covered = 0;
  if (dict_table_.empty()) return;
  size_t n = std::min<size_t>(label.size(), 64);
  // Every candidate word's key first, grown a letter at a time from each
  // start, its slot asked for at once (as in segment).
  uint64_t keys[64][kMaxDictWord + 1];  // [start][length]
  size_t letters[64];                   // the letters from each start, up to kMaxDictWord
  for (size_t j = 0; j < n; ++j) {
    uint64_t h = kWordKeySeed;
    size_t len = 0;
    for (; len < kMaxDictWord && j + len < n; ++len) {
      unsigned char c = static_cast<unsigned char>(label[j + len]);
      if (c < 'a' || c > 'z') break;
      h = word_key_step(h, c);
      keys[j][len + 1] = h;
      if (len + 1 >= kMinDictWord) dict_table_.prefetch(h);
    }
    letters[j] = len;
  }
  // Score: +1 per covered letter, -0.5 per word; forward DP.
  float best[65];
  uint8_t from[65];  // length of the word ending here, 0: a skipped character
  std::fill(best, best + n + 1, -1e9f);
  best[0] = 0;
  for (size_t j = 0; j < n; ++j) {
    if (best[j] > best[j + 1]) {
      best[j + 1] = best[j];
      from[j + 1] = 0;
    }
    for (size_t len = kMinDictWord; len <= letters[j]; ++len) {
      if (!dict_table_.find(keys[j][len])) continue;
      float v = best[j] + static_cast<float>(len) - 0.5f;
      if (v > best[j + len]) {
        best[j + len] = v;
        from[j + len] = static_cast<uint8_t>(len);
      }
    }
  }
  for (size_t i = n; i > 0;) {
    if (from[i]) {
      words.push_back(label.substr(i - from[i], from[i]));
      covered += from[i];
      i -= from[i];
    } else {
      --i;
    }
  }
  std::reverse(words.begin(), words.end());
}

double DgaModel::char_log_likelihood(const ModelArray<float>& model, std::string_view l) const {
  if (model.size() != kCharTable) return 0;
  int a = kBoundary, b = kBoundary;
  double s = 0;
  for (size_t i = 0; i <= l.size(); ++i) {
    int c = i < l.size() ? char_index(static_cast<unsigned char>(l[i])) : kBoundary;
    s += model[(size_t(a) * kAlphabet + b) * kAlphabet + c];
    a = b;
    b = c;
  }
  return s / double(l.size() + 1);
}

void DgaModel::features(std::string_view label, std::string_view suffix, std::vector<uint32_t>& out, float* x) const {
  out.clear();
  const uint32_t buckets = kBuckets;
  std::string s;
  s.reserve(label.size() + 2);
  s.push_back('^');
  s.append(label);
  s.push_back('$');
  for (uint32_t n = 1; n <= 5; ++n)
    for (size_t i = 0; i + n <= s.size(); ++i) out.push_back(fnv(std::string_view(s).substr(i, n), n) % buckets);
  // The consonant / vowel / digit shape: pronounceable generators alternate.
  std::string shape = s;
  size_t alternations = 0;
  for (size_t i = 1; i + 1 < shape.size(); ++i) {
    char c = shape[i];
    shape[i] = c >= '0' && c <= '9' ? 'd' : is_vowel(c) ? 'v' : c >= 'a' && c <= 'z' ? 'c' : c == '-' ? '-' : 'o';
    if (i > 1 && shape[i] != shape[i - 1]) ++alternations;
  }
  for (uint32_t n = 3; n <= 6; ++n)
    for (size_t i = 0; i + n <= shape.size(); ++i)
      out.push_back(fnv(std::string_view(shape).substr(i, n), 20 + n) % buckets);
  size_t len = label.size(), digits = 0, vowels = 0, hyphens = 0, run = 0, max_run = 0, digit_runs = 0, distinct = 0;
  bool hex = len >= 8;
  int counts[256] = {0};
  bool prev_digit = false;
  for (char c : label) {
    if (!counts[static_cast<unsigned char>(c)]++) ++distinct;
    bool d = c >= '0' && c <= '9';
    hex &= d || (c >= 'a' && c <= 'f');
    if (d) {
      ++digits;
      if (!prev_digit) ++digit_runs;
    }
    prev_digit = d;
    if (c == '-') ++hyphens;
    if (is_vowel(c)) ++vowels;
    if (c >= 'a' && c <= 'z' && !is_vowel(c)) max_run = std::max(max_run, ++run);
    else run = 0;
  }
  double entropy = 0;
  for (int c : counts)
    if (c) {
      double p = double(c) / double(std::max<size_t>(len, 1));
      entropy -= p * std::log2(p);
    }
  auto add = [&](const std::string& f) { out.push_back(fnv(f, 99) % buckets); };
  double dl = std::max<double>(len, 1);
  add("len:" + std::to_string(std::min<size_t>(len, 45)));
  add("lenb:" + std::to_string(std::min<size_t>(len / 5, 9)));
  add("dig:" + std::to_string(static_cast<int>(std::lround(digits / dl * 10))));
  add("digruns:" + std::to_string(std::min<size_t>(digit_runs, 5)));
  add("vow:" + std::to_string(static_cast<int>(std::lround(vowels / dl * 10))));
  add("ent:" + std::to_string(static_cast<int>(std::lround(entropy * 2))));
  add("crun:" + std::to_string(std::min<size_t>(max_run, 10)));
  add("hyph:" + std::to_string(std::min<size_t>(hyphens, 3)));
  add("tld:" + std::string(suffix));
  // Families pair their own suffixes with their own lengths and alphabets.
  add("tldlen:" + std::string(suffix) + ":" + std::to_string(std::min<size_t>(len, 40)));
  add("tlddig:" + std::string(suffix) + ":" + std::to_string(digits > 0) + ":" + std::to_string(std::min<size_t>(len / 3, 12)));
  add("lenvow:" + std::to_string(std::min<size_t>(len, 40)) + ":" + std::to_string(static_cast<int>(std::lround(vowels / dl * 10))));
  add("lenent:" + std::to_string(std::min<size_t>(len / 4, 10)) + ":" +
      std::to_string(static_cast<int>(std::lround(entropy * 2))));
  x[kLogit] = 0;
  x[kLength] = static_cast<float>(len);
  x[kEntropy] = static_cast<float>(entropy);
  x[kDigitShare] = static_cast<float>(digits / dl);
  x[kDigitRuns] = static_cast<float>(digit_runs);
  x[kVowelShare] = static_cast<float>(vowels / dl);
  x[kConsonantRun] = static_cast<float>(max_run);
  x[kHyphens] = static_cast<float>(hyphens);
  x[kDistinctShare] = static_cast<float>(distinct / dl);
  x[kHexOnly] = hex ? 1.0f : 0.0f;
  x[kAlternation] = static_cast<float>(alternations / dl);
  x[kBenignChars] = static_cast<float>(char_log_likelihood(chars_benign_, label));
  {
    float least = 0;
    size_t rare = 0, n = 0;
    if (chars_benign_.size() == kCharTable)
      for_trigrams(label, [&](uint32_t i) {
        least = std::min(least, chars_benign_[i]);
        rare += chars_benign_[i] < kRareTrigram;
        ++n;
      });
    x[kBenignCharsMin] = least;
    x[kBenignRareShare] = n ? static_cast<float>(double(rare) / double(n)) : 0.0f;
  }
  x[kDgaChars] = static_cast<float>(char_log_likelihood(chars_dga_, label));
  x[kCharsDiff] = x[kDgaChars] - x[kBenignChars];
  // The likeliest generator against the benign names.
  x[kFamilyRatio] = x[kFamilyCharRatio] = 0;
  if (const FamilyTables& t = family_tables(); t.families > 1) {
    thread_local std::vector<double> chars, all;
    chars.resize(t.families);
    all.resize(t.families);
    family_log_likelihoods(t, label, suffix, chars.data(), all.data());
    double best_c = -1e300, best_a = -1e300;
    for (size_t k = 1; k < t.families; ++k) {
      best_c = std::max(best_c, chars[k]);
      best_a = std::max(best_a, all[k]);
    }
    x[kFamilyRatio] = static_cast<float>(best_a - all[0]);
    x[kFamilyCharRatio] = static_cast<float>((best_c - chars[0]) / double(len + 1));
  }
  auto so = suffix_odds_.find(word_key(suffix));
  x[kSuffixOdds] = so == suffix_odds_.end() ? 0.0f : so->second;
  x[kSuffixLabels] = suffix.empty() ? 0.0f : static_cast<float>(1 + std::count(suffix.begin(), suffix.end(), '.'));
  // Words: which ones, how many, how much of the label they cover, how DGA-typical they are.
  thread_local std::vector<std::string_view> words;
  size_t uncovered = len;
  float cost = kUncoveredCost * static_cast<float>(len);
  words.clear();
  if (!vocab_.empty()) segment(label, words, uncovered, cost);
  size_t nwords = 0, covered = 0, longest = 0, dga_covered = 0, benign_covered = 0;
  double odds_sum = 0, odds_max = 0, odds_min = 0;
  for (size_t k = 0; k < words.size(); ++k) {
    auto w = words[k];
    float odds = vocab_.find(word_key(w))->dga_odds;
    if (w.size() >= kFeatureWord) {
      if (odds >= kTypicalOdds) dga_covered += w.size();
      if (odds <= -kTypicalOdds) benign_covered += w.size();
    }
    odds_sum += odds;
    odds_max = k ? std::max<double>(odds_max, odds) : odds;
    odds_min = k ? std::min<double>(odds_min, odds) : odds;
    if (w.size() >= kFeatureWord) {
      ++nwords;
      covered += w.size();
      longest = std::max(longest, w.size());
      out.push_back(fnv(w, 77) % buckets);
    }
  }
  int cover = static_cast<int>(std::lround(double(covered) / dl * 10));
  if (!vocab_.empty()) {
    add("nw:" + std::to_string(std::min<size_t>(nwords, 6)));
    add("wcov:" + std::to_string(cover));
    add("nwcov:" + std::to_string(std::min<size_t>(nwords, 6)) + ":" + std::to_string(cover));
    add("nwtld:" + std::to_string(std::min<size_t>(nwords, 6)) + ":" + std::string(suffix));
    add("wlong:" + std::to_string(longest));
    add("unc:" + std::to_string(std::min<size_t>(uncovered, 12)));
  }
  // Dictionary words: word-list generators join dictionary words as benign
  // names do, but with other words, other counts and other suffixes.
  thread_local std::vector<std::string_view> dwords;
  size_t dcovered = 0, letters = 0;
  for (char c : label) letters += c >= 'a' && c <= 'z';
  dict_segment(label, dwords, dcovered);
  double dmin = 0, dmax = 0, dsum = 0, rarest = 0;
  size_t shortest = 0, pairs_benign = 0;
  for (size_t k = 0; k < dwords.size(); ++k) {
    const Word* wd = dict_table_.find(word_key(dwords[k]));
    dmin = k ? std::min<double>(dmin, wd->dga_odds) : wd->dga_odds;
    dmax = k ? std::max<double>(dmax, wd->dga_odds) : wd->dga_odds;
    rarest = k ? std::min<double>(rarest, wd->log_p) : wd->log_p;
    dsum += wd->dga_odds;
    shortest = k ? std::min(shortest, dwords[k].size()) : dwords[k].size();
    if (k && std::binary_search(benign_pairs_.begin(), benign_pairs_.end(), pair_key(dwords[k - 1], dwords[k]))) ++pairs_benign;
    out.push_back(fnv(dwords[k], 55) % buckets);
  }
  int dcover = letters ? static_cast<int>(std::lround(double(dcovered) / double(letters) * 10)) : 0;
  if (!dict_table_.empty()) {
    std::string nd = std::to_string(std::min<size_t>(dwords.size(), 6));
    add("dw:" + nd + ":" + std::to_string(dcover));
    add("dwtld:" + nd + ":" + (dcover >= 9 ? std::string(suffix) : std::string("-")));
    add("dwhy:" + nd + ":" + std::to_string(std::min<size_t>(hyphens, 2)) + ":" + std::to_string(dcover >= 9));
  }
  x[kDictWords] = static_cast<float>(dwords.size());
  x[kDictCover] = letters ? static_cast<float>(double(dcovered) / double(letters)) : 0.0f;
  x[kDictShortest] = static_cast<float>(shortest);
  x[kDictOddsMin] = static_cast<float>(dmin);
  x[kDictOddsMax] = static_cast<float>(dmax);
  x[kDictOddsMean] = dwords.empty() ? 0.0f : static_cast<float>(dsum / double(dwords.size()));
  x[kDictRarest] = static_cast<float>(rarest);
  size_t dlongest = 0;
  for (auto w : dwords) dlongest = std::max(dlongest, w.size());
  x[kDictUncovered] = static_cast<float>(letters - dcovered);
  x[kDictLongest] = static_cast<float>(dlongest);
  x[kDictPairsBenign] = dwords.size() > 1 ? static_cast<float>(double(pairs_benign) / double(dwords.size() - 1)) : 0.0f;
  x[kDgaWordCover] = static_cast<float>(dga_covered / dl);
  x[kBenignWordCover] = static_cast<float>(benign_covered / dl);
  x[kWords] = static_cast<float>(nwords);
  x[kWordCover] = static_cast<float>(covered / dl);
  x[kUncovered] = static_cast<float>(uncovered);
  x[kLongestWord] = static_cast<float>(longest);
  x[kSegmentCost] = static_cast<float>(cost / dl);
  x[kWordOddsMean] = words.empty() ? 0.0f : static_cast<float>(odds_sum / double(words.size()));
  x[kWordOddsMax] = static_cast<float>(odds_max);
  x[kWordOddsMin] = static_cast<float>(odds_min);
}

double DgaModel::raw(const std::vector<uint32_t>& f) const {
  double z = bias_;
  const float* w = w_.data();
  for (uint32_t i : f) z += w[i];
  return z;
}

double DgaModel::score_label(std::string_view label, std::string_view suffix) const {
  if (w_.size() != kBuckets) return 0;  // untrained
  thread_local std::vector<uint32_t> f;
  float x[kDense];
  features(label, suffix, f, x);
  x[kLogit] = static_cast<float>(raw(f));
  return sigmoid(trees_.count() == 0 ? x[kLogit] : trees_.predict(x));
}

double DgaModel::score(std::string_view domain) const {
  DomainParts p = split_domain(domain);
  if (p.label.empty()) return 0;
  return score_label(p.label, p.suffix);
}

struct DgaModel::Example {
  std::string label, suffix;
  bool y = false;
  std::string family;  // a DGA family by name, empty when unknown
};


const DgaModel::FamilyTables& DgaModel::family_tables() const {
  FamilyModels& m = *family_models_;
  std::call_once(m.once, [&] { m.tables = prepare_families(families_); });
  return m.tables;
}

DgaModel::FamilyTables DgaModel::prepare_families(const std::vector<Family>& families) {
  FamilyTables t;
  const size_t nf = t.families = families.size();
  // Every suffix any family saw, plus one for the unseen.
  std::set<std::string> all_suffixes;
  for (const auto& f : families)
    for (const auto& [s, c] : f.suffixes) all_suffixes.insert(s);
  t.suffixes.assign(all_suffixes.begin(), all_suffixes.end());
  for (size_t row = 0; row < t.suffixes.size(); ++row) t.suffix_rows[word_key(t.suffixes[row])] = static_cast<uint32_t>(row);
  double v = double(all_suffixes.size()) + 1;
  std::vector<float>& chars = t.chars.owned();
  std::vector<float>& lengths = t.lengths.owned();
  std::vector<float>& suffix_lp = t.suffix_lp.owned();
  chars.resize(kCharTable * nf);
  lengths.resize((kMaxFamilyLength + 1) * nf);
  suffix_lp.resize((t.suffixes.size() + 1) * nf);
  std::vector<float> fchars(kCharTable);
  for (size_t fk = 0; fk < nf; ++fk) {
    const Family& f = families[fk];
    // Trigram probabilities smoothed towards bigrams, bigrams towards
    // unigrams (Dirichlet priors of 2), so small families stay sensible.
    // f.trigrams is sorted with each trigram once (training makes it so, the loaders check).
    std::vector<double> ctx2(size_t(kAlphabet) * kAlphabet, 0), bi(size_t(kAlphabet) * kAlphabet, 0), ctx1(kAlphabet, 0),
        uni(kAlphabet, 0);
    double total = 0;
    for (auto [i, c] : f.trigrams) {
      size_t a = i / (kAlphabet * kAlphabet), b = (i / kAlphabet) % kAlphabet, ch = i % kAlphabet;
      ctx2[a * kAlphabet + b] += c;
      bi[b * kAlphabet + ch] += c;
      ctx1[b] += c;
      uni[ch] += c;
      total += c;
    }
    // A trigram the family never produced gets log(2 pb) - log(ctx2 + 2):
    // two small log tables instead of a log per cell.
    std::vector<double> log_pb2(size_t(kAlphabet) * kAlphabet), log_ctx2(size_t(kAlphabet) * kAlphabet);
    for (size_t b = 0; b < size_t(kAlphabet); ++b)
      for (size_t ch = 0; ch < size_t(kAlphabet); ++ch) {
        double pu = (uni[ch] + 1) / (total + kAlphabet);
        log_pb2[b * kAlphabet + ch] = std::log(2 * (bi[b * kAlphabet + ch] + 2 * pu) / (ctx1[b] + 2));
        log_ctx2[b * kAlphabet + ch] = std::log(ctx2[b * kAlphabet + ch] + 2);
      }
    for (size_t a = 0; a < size_t(kAlphabet); ++a)
      for (size_t b = 0; b < size_t(kAlphabet); ++b) {
        double base = log_ctx2[a * kAlphabet + b];
        float* row = &fchars[(a * kAlphabet + b) * kAlphabet];
        const double* pb2 = &log_pb2[b * kAlphabet];
        for (size_t ch = 0; ch < size_t(kAlphabet); ++ch) row[ch] = static_cast<float>(pb2[ch] - base);
      }
    for (auto [i, c] : f.trigrams) {
      size_t a = i / (kAlphabet * kAlphabet), b = (i / kAlphabet) % kAlphabet, ch = i % kAlphabet;
      double pu = (uni[ch] + 1) / (total + kAlphabet);
      double pb = (bi[b * kAlphabet + ch] + 2 * pu) / (ctx1[b] + 2);
      fchars[i] = static_cast<float>(std::log((c + 2 * pb) / (ctx2[a * kAlphabet + b] + 2)));
    }
    for (size_t i = 0; i < kCharTable; ++i) chars[i * nf + fk] = fchars[i];
    double labels = 0;
    for (uint32_t c : f.lengths) labels += c;
    for (size_t l = 0; l <= kMaxFamilyLength; ++l)
      lengths[l * nf + fk] = static_cast<float>(std::log((f.lengths[l] + 0.5) / (labels + 0.5 * (kMaxFamilyLength + 1))));
    float other = static_cast<float>(std::log(0.5 / (labels + 0.5 * v)));
    for (size_t row = 0; row <= t.suffixes.size(); ++row) suffix_lp[row * nf + fk] = other;
    for (const auto& [s, c] : f.suffixes)
      suffix_lp[t.suffix_rows.at(word_key(s)) * nf + fk] = static_cast<float>(std::log((c + 0.5) / (labels + 0.5 * v)));
  }
  return t;
}

void DgaModel::fit_families(const std::vector<Example>& examples, const std::vector<size_t>& rows) {
  constexpr size_t kMinFamily = 30;  // smaller named families count as unnamed
  std::map<std::string, std::vector<size_t>> named;
  std::vector<size_t> benign, unknown;
  for (size_t r : rows) {
    const Example& e = examples[r];
    if (!e.y) benign.push_back(r);
    else if (e.family.empty()) unknown.push_back(r);
    else named[e.family].push_back(r);
  }
  std::vector<std::string> names{"benign"};
  std::vector<std::vector<size_t>> members{benign};
  for (auto& [n, v] : named)
    if (v.size() >= kMinFamily) {
      names.push_back(n);
      members.push_back(v);
    } else unknown.insert(unknown.end(), v.begin(), v.end());
  auto build = [&] {
    families_.clear();
    for (size_t k = 0; k < names.size(); ++k) {
      Family f;
      f.name = names[k];
      std::map<uint32_t, uint32_t> tri;
      std::map<std::string, uint32_t> suffixes;
      f.lengths.assign(kMaxFamilyLength + 1, 0);
      for (size_t r : members[k]) {
        const Example& e = examples[r];
        for_trigrams(e.label, [&](uint32_t i) { ++tri[i]; });
        ++f.lengths[std::min(e.label.size(), kMaxFamilyLength)];
        if (plain_suffix(e.suffix)) ++suffixes[e.suffix];
      }
      f.trigrams.assign(tri.begin(), tri.end());
      f.suffixes.assign(suffixes.begin(), suffixes.end());
      families_.push_back(std::move(f));
    }
    family_models_ = std::make_shared<FamilyModels>();
  };
  build();
  std::vector<std::vector<size_t>> named_members = members;
  for (int step = 0; step < 1 && names.size() > 1 && !unknown.empty(); ++step) {
    // Hard EM: each unnamed DGA name joins the family that explains it best.
    members = named_members;
    const FamilyTables& t = family_tables();
    std::vector<double> chars(t.families), all(t.families);
    for (size_t r : unknown) {
      size_t best = 1;
      double best_all = -1e300;
      family_log_likelihoods(t, examples[r].label, examples[r].suffix, chars.data(), all.data());
      for (size_t k = 1; k < t.families; ++k)
        if (all[k] > best_all) best_all = all[k], best = k;
      members[best].push_back(r);
    }
    build();
  }
}

void DgaModel::fit_dictionary(const std::vector<std::string>& list, const std::vector<Example>& examples,
                               const std::vector<size_t>& rows) {
  dict_benign_ = dict_dga_ = 0;
  std::vector<uint64_t>& pairs = benign_pairs_.owned();
  pairs.clear();
  std::vector<std::tuple<std::string, uint32_t, uint32_t>> words;
  words.reserve(list.size());
  for (const auto& w : list) words.emplace_back(w, 0, 0);
  set_dictionary(std::move(words), false);  // segmentation needs only the words
  if (dict_.empty()) return;
  std::unordered_map<uint64_t, size_t> index;
  index.reserve(dict_.size());
  for (size_t k = 0; k < dict_.size(); ++k) index[word_key(std::get<0>(dict_[k]))] = k;
  std::vector<std::string_view> seg;
  std::vector<size_t> seen;
  for (size_t r : rows) {
    const Example& e = examples[r];
    size_t covered = 0;
    dict_segment(e.label, seg, covered);
    (e.y ? dict_dga_ : dict_benign_)++;
    seen.clear();
    for (size_t k = 0; k < seg.size(); ++k) {
      seen.push_back(index.at(word_key(seg[k])));
      if (!e.y && k) pairs.push_back(pair_key(seg[k - 1], seg[k]));
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (size_t k : seen) ++(e.y ? std::get<2>(dict_[k]) : std::get<1>(dict_[k]));
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  set_dictionary(std::move(dict_), true);
}

std::vector<std::string> DgaModel::parse_word_list(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& full : text::split(text, '\n')) {
    std::string_view line = full;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.size() < kMinDictWord || line.size() > kMaxDictWord) continue;
    std::string w(line);
    bool ok = true;
    for (char& c : w) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      ok &= c >= 'a' && c <= 'z';
    }
    if (ok) out.push_back(std::move(w));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void DgaModel::family_log_likelihoods(const FamilyTables& t, std::string_view label, std::string_view suffix, double* chars,
                                      double* all) {
  const size_t nf = t.families;
  std::fill(chars, chars + nf, 0.0);
  const float* table = t.chars.data();
  for_trigrams(label, [&](uint32_t i) {
    const float* row = table + size_t(i) * nf;
    for (size_t k = 0; k < nf; ++k) chars[k] += row[k];
  });
  auto it = t.suffix_rows.find(word_key(suffix));
  const float* length_lp = t.lengths.data() + std::min(label.size(), kMaxFamilyLength) * nf;
  const float* suffix_lp = t.suffix_lp.data() + (it == t.suffix_rows.end() ? t.suffixes.size() : it->second) * nf;
  for (size_t k = 0; k < nf; ++k) all[k] = chars[k] + length_lp[k] + suffix_lp[k];
}

void DgaModel::fit_stage1(const std::vector<Example>& examples, const std::vector<size_t>& rows, const TrainOptions& o,
                          uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Vocabulary: substrings recurring across labels, counted once per label,
  // keyed by hash and length (low 4 bits) and counted by sorting.
  std::vector<uint64_t> keys[2], mine;
  vocab_benign_ = vocab_dga_ = 0;
  std::vector<std::string_view> labels[2];
  for (size_t r : rows) {
    const Example& e = examples[r];
    std::string_view l = e.label;
    labels[e.y].push_back(l);
    (e.y ? vocab_dga_ : vocab_benign_)++;
    mine.clear();
    for (size_t i = 0; i < l.size(); ++i)
      for (size_t len = kMinWord; len <= kMaxWord && i + len <= l.size(); ++len) {
        std::string_view w = l.substr(i, len);
        if (!word_char(w.back()) || w.back() == '-' || (w.back() >= '0' && w.back() <= '9')) break;
        mine.push_back((word_key(w) & ~uint64_t(15)) | len);
      }
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    keys[e.y].insert(keys[e.y].end(), mine.begin(), mine.end());
  }
  for (auto& k : keys) std::sort(k.begin(), k.end());
  std::unordered_map<uint64_t, std::pair<uint32_t, uint32_t>> admitted;
  size_t ib = 0, id = 0;
  while (ib < keys[0].size() || id < keys[1].size()) {
    uint64_t k = std::min(ib < keys[0].size() ? keys[0][ib] : UINT64_MAX, id < keys[1].size() ? keys[1][id] : UINT64_MAX);
    uint32_t b = 0, d = 0;
    while (ib < keys[0].size() && keys[0][ib] == k) ++b, ++ib;
    while (id < keys[1].size() && keys[1][id] == k) ++d, ++id;
    size_t len = k & 15;
    if (admit_word(len, b, d)) admitted[k] = {b, d};
  }
  keys[0] = {};
  keys[1] = {};
  std::vector<std::tuple<std::string, uint32_t, uint32_t>> words;
  for (int c = 0; c < 2; ++c)
    for (auto l : labels[c])
      for (size_t i = 0; i < l.size(); ++i)
        for (size_t len = kMinWord; len <= kMaxWord && i + len <= l.size(); ++len) {
          std::string_view w = l.substr(i, len);
          if (!word_char(w.back()) || w.back() == '-' || (w.back() >= '0' && w.back() <= '9')) break;
          auto it = admitted.find((word_key(w) & ~uint64_t(15)) | len);
          if (it == admitted.end()) continue;
          words.emplace_back(std::string(w), it->second.first, it->second.second);
          admitted.erase(it);
        }
  set_vocabulary(std::move(words));
  chars_benign_ = ModelArray<float>(fit_char_model(labels[0]));
  chars_dga_ = ModelArray<float>(fit_char_model(labels[1]));
  // Suffix odds, shrunk towards even by one pseudo-count each way.
  std::unordered_map<std::string_view, std::pair<uint32_t, uint32_t>> per_suffix;
  for (size_t r : rows) {
    auto& c = per_suffix[examples[r].suffix];
    (examples[r].y ? c.second : c.first)++;
  }
  suffix_odds_.clear();
  suffixes_.clear();
  double nb = std::max<uint32_t>(vocab_benign_, 1), nd = std::max<uint32_t>(vocab_dga_, 1);
  for (auto& [s, c] : per_suffix)
    if (c.first + c.second >= 3 && plain_suffix(s)) suffixes_.emplace_back(std::string(s), static_cast<float>(std::log((c.second + 1) / (nd + 2)) - std::log((c.first + 1) / (nb + 2))));
  std::sort(suffixes_.begin(), suffixes_.end());
  for (auto& [s, v] : suffixes_) suffix_odds_[word_key(s)] = v;
  fit_families(examples, rows);
  fit_dictionary(o.dictionary, examples, rows);

  // The logistic weights: AdaGrad SGD, classes weighted to balance.
  std::vector<std::vector<uint32_t>> feats(rows.size());
  float x[kDense];
  size_t pos = 0, neg = 0;
  std::vector<float>& w = w_.owned();
  w.assign(kBuckets, 0.0f);
  bias_ = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    const Example& e = examples[rows[k]];
    features(e.label, e.suffix, feats[k], x);
    (e.y ? pos : neg)++;
  }
  if (!pos || !neg) throw DataError("capture model train: need both DGA and benign names");
  double wpos = double(pos + neg) / (2.0 * pos), wneg = double(pos + neg) / (2.0 * neg);
  std::vector<float> g2(w.size(), 1e-6f);
  float bias_g2 = 1e-6f;
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    // AdaGrad: rare n-grams keep a large step, common ones settle.
    double lr = o.learning_rate;
    for (size_t k : order) {
      bool y = examples[rows[k]].y;
      double p = sigmoid(raw(feats[k]));
      double g = (p - (y ? 1.0 : 0.0)) * (y ? wpos : wneg);
      for (uint32_t i : feats[k]) {
        double gi = g + o.l2 * w[i];
        g2[i] += static_cast<float>(gi * gi);
        w[i] -= static_cast<float>(lr * gi / std::sqrt(g2[i]));
      }
      bias_g2 += static_cast<float>(g * g);
      bias_ -= static_cast<float>(lr * g / std::sqrt(bias_g2));
    }
  }
  // Quantise now so later stages see exactly what will be saved.
  for (auto& v : w) v = std::clamp(std::round(v * 2000.0f) / 2000.0f, -16.0f, 16.0f);
  for (auto& v : chars_benign_.owned()) v = std::round(v * 1000.0f) / 1000.0f;
  for (auto& v : chars_dga_.owned()) v = std::round(v * 1000.0f) / 1000.0f;
}

double DgaModel::train(const std::vector<LabelledDomain>& data, const TrainOptions& o, DgaEvaluation* evaluation) {
  std::mt19937_64 rng(o.seed);
  // Every name trains, in folds: the trees learn from out-of-fold
  // first-stage outputs, and the threshold comes from out-of-fold scores of
  // the whole pipeline (trees fitted without the fold too), so it is chosen
  // on names the scoring models never saw, all the benign names counted.
  std::vector<Example> examples;
  std::vector<int> fold;
  int folds = std::max(2, o.folds);
  for (const auto& d : data) {
    DomainParts p = split_domain(d.domain);
    int f = static_cast<int>(rng() % static_cast<uint64_t>(folds));
    if (p.label.empty()) continue;
    fold.push_back(f);
    // Named generator lists; "ndpi" and "others" are DGA names of unknown family.
    bool named = d.dga && !d.family.empty() && d.family != "ndpi" && d.family != "others";
    examples.push_back({std::move(p.label), std::move(p.suffix), d.dga, named ? d.family : std::string()});
  }
  const size_t n = examples.size();
  std::vector<size_t> rows(n);
  for (size_t r = 0; r < n; ++r) rows[r] = r;
  std::vector<float> x(n * kDense);
  std::vector<uint8_t> y(n);
  std::vector<uint32_t> f;
  for (int k = 0; k < folds; ++k) {
    std::vector<size_t> in;
    for (size_t r = 0; r < n; ++r)
      if (fold[r] != k) in.push_back(r);
    auto m = std::make_unique<DgaModel>();
    m->fit_stage1(examples, in, o, rng());
    for (size_t r = 0; r < n; ++r) {
      if (fold[r] != k) continue;
      const Example& e = examples[r];
      float* xr = &x[r * kDense];
      m->features(e.label, e.suffix, f, xr);
      xr[kLogit] = static_cast<float>(m->raw(f));
      y[r] = e.y;
    }
  }
  fit_stage1(examples, rows, o, rng());
  trees_ = fit_trees(x, y, o);
  trained_ = true;
  std::vector<double> oof(n);
  for (int k = 0; k < folds; ++k) {
    std::vector<float> xk;
    std::vector<uint8_t> yk;
    for (size_t r = 0; r < n; ++r)
      if (fold[r] != k) {
        xk.insert(xk.end(), &x[r * kDense], &x[r * kDense] + kDense);
        yk.push_back(y[r]);
      }
    DgaTrees t = fit_trees(xk, yk, o);
    for (size_t r = 0; r < n; ++r)
      if (fold[r] == k) oof[r] = sigmoid(t.predict(&x[r * kDense]));
  }
  std::vector<double> benign;
  for (size_t r = 0; r < n; ++r)
    if (!examples[r].y) benign.push_back(oof[r]);
  std::sort(benign.begin(), benign.end());
  if (benign.empty()) threshold_ = 0.5;
  else {
    size_t k = static_cast<size_t>(std::floor((1.0 - o.target_fp) * benign.size()));
    threshold_ = k >= benign.size() ? benign.back() : benign[k];
    threshold_ = std::min(0.99999, std::max(threshold_, 0.5));
  }
  if (evaluation) {
    *evaluation = {};
    for (size_t r = 0; r < n; ++r) {
      bool flagged = oof[r] >= threshold_;
      if (examples[r].y) ++evaluation->dga, evaluation->detected += flagged;
      else ++evaluation->benign, evaluation->false_positives += flagged;
    }
  }
  return threshold_;
}

namespace {

// Weights and character models are stored rounded to 1/scale (int16 in
// the JSON export, the rounded float in the binary file), so a model scores
// the same whichever file it comes from.
inline int16_t quantise(float v, float scale) {
  return static_cast<int16_t>(std::clamp<long>(std::lround(v * scale), -32768, 32767));
}
inline float dequantise(int16_t q, double scale) { return static_cast<float>(q / scale); }

std::string pack_int16(const ModelArray<float>& v, float scale) {
  std::string packed;
  packed.reserve(v.size() * 2);
  for (float w : v) {
    int16_t q = quantise(w, scale);
    packed.push_back(static_cast<char>(q & 0xff));
    packed.push_back(static_cast<char>((q >> 8) & 0xff));
  }
  return b64_encode(packed);
}

bool unpack_int16(const std::string& b64, size_t count, double scale, std::vector<float>& out) {
  std::string packed;
  if (!b64_decode(b64, packed) || packed.size() != count * 2) return false;
  out.resize(count);
  for (size_t i = 0; i < count; ++i)
    out[i] = dequantise(static_cast<int16_t>(uint8_t(packed[2 * i]) | uint8_t(packed[2 * i + 1]) << 8), scale);
  return true;
}

std::string float_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

namespace {
std::vector<std::tuple<std::string, uint32_t, uint32_t>> decode_words(std::string_view raw);
}

std::string DgaModel::to_json() const {
  nlohmann::json j;
  j["format"] = "opskit-dga-5";
  j["features"] = "stage 1: logistic model over hashed char 1-5 grams of ^label$, consonant/vowel/digit shape 3-6 grams, "
                  "vocabulary words (>= 4 letters, unigram segmentation) + binned shape and word statistics, fnv32, "
                  "dictionary words (segmentation by a word list), 2^19 buckets; stage 2: gradient-boosted trees over the "
                  "stage-1 logit and " + std::to_string(kDense - 1) + " dense statistics";
  j["buckets"] = kBuckets;
  std::string vocabulary;  // "word benign_labels dga_labels" lines
  // A loaded binary model keeps its word lists as stored: decoded here.
  const auto vocab_words = words_.empty() ? decode_words(vocab_words_raw_) : words_;
  const auto dict_words = dict_.empty() ? decode_words(dict_words_raw_) : dict_;
  for (const auto& [w, b, d] : vocab_words) vocabulary += w + " " + std::to_string(b) + " " + std::to_string(d) + "\n";
  j["vocabulary"] = vocabulary;
  j["vocabulary_labels"] = {vocab_benign_, vocab_dga_};
  std::string suffixes;  // "suffix log_odds" lines
  for (const auto& [s, v] : suffixes_) suffixes += s + " " + float_text(v) + "\n";
  j["suffix_odds"] = suffixes;
  std::string dictionary;  // "word benign_labels dga_labels" lines
  for (const auto& [w, b, d] : dict_words) dictionary += w + " " + std::to_string(b) + " " + std::to_string(d) + "\n";
  j["dictionary"] = dictionary;
  j["dictionary_labels"] = {dict_benign_, dict_dga_};
  std::string pairs;
  for (uint64_t k : benign_pairs_)
    for (int b = 0; b < 8; ++b) pairs.push_back(static_cast<char>((k >> (8 * b)) & 0xff));
  j["benign_pairs_u64le_base64"] = b64_encode(pairs);
  j["chars_scale"] = 1000;
  j["chars_benign_int16le_base64"] = pack_int16(chars_benign_, 1000.0f);
  j["chars_dga_int16le_base64"] = pack_int16(chars_dga_, 1000.0f);
  j["scale"] = 2000;
  j["bias"] = bias_;
  j["threshold"] = threshold_;
  j["weights_int16le_base64"] = pack_int16(w_, 2000.0f);
  nlohmann::json families = nlohmann::json::array();
  for (const auto& f : families_.empty() ? decode_families(family_counts_raw_) : families_) {
    std::string tri, suf;  // "index:count" pairs; "suffix count" lines
    for (auto [i, c] : f.trigrams) tri += std::to_string(i) + ":" + std::to_string(c) + " ";
    for (const auto& [s, c] : f.suffixes) suf += s + " " + std::to_string(c) + "\n";
    families.push_back({{"name", f.name}, {"trigrams", tri}, {"lengths", f.lengths}, {"suffixes", suf}});
  }
  j["families"] = families;
  // "feature threshold left right value" lines, feature -1 for a leaf: the
  // complete trees, each level by level.
  std::string nodes;
  std::vector<int32_t> roots;
  const size_t splits = (size_t(1) << trees_.depth) - 1;
  for (size_t k = 0; k < trees_.count(); ++k) {
    size_t root = k * (2 * splits + 1);
    roots.push_back(static_cast<int32_t>(root));
    for (size_t i = 0; i < splits; ++i)
      nodes += std::to_string(trees_.features[k * splits + i]) + " " + float_text(trees_.thresholds[k * splits + i]) + " " +
               std::to_string(root + 2 * i + 1) + " " + std::to_string(root + 2 * i + 2) + " 0\n";
    for (size_t i = 0; i <= splits; ++i) nodes += "-1 0 0 0 " + float_text(trees_.leaves[k * (splits + 1) + i]) + "\n";
  }
  j["trees"] = {{"base", trees_.base},
                {"roots", roots},
                {"nodes", nodes},
                {"dense_features", kDense}};
  return j.dump(1) + "\n";
}

DgaModel DgaModel::from_json(const std::string& text, const std::string& source) {
  try {
    return parse_model(text, source);
  } catch (const nlohmann::json::exception& e) {  // a field of the wrong type
    throw DataError(SourceLocation{source, 0, 0, ""}, std::string("bad DGA model: ") + e.what());
  }
}

DgaModel DgaModel::parse_model(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw DataError(SourceLocation{source, 0, 0, ""}, std::string("bad DGA model: ") + e.what());
  }
  auto bad = [&](const std::string& field, const std::string& what) {
    return DataError(SourceLocation{source, 0, 0, field}, what);
  };
  if (!j.is_object() || j.value("format", "") != "opskit-dga-5" || j.value("buckets", 0u) != kBuckets)
    throw bad("format", "not an opskit-dga-5 model with 2^19 buckets (retrain with `capture model train`)");
  DgaModel m;
  try {
    auto counts = j.at("vocabulary_labels");
    m.vocab_benign_ = counts.at(0).get<uint32_t>();
    m.vocab_dga_ = counts.at(1).get<uint32_t>();
  } catch (const std::exception&) {
    throw bad("vocabulary_labels", "expected [benign labels, DGA labels]");
  }
  // "word benign-count dga-count" lines, each word checked by `word_ok`.
  auto word_rows = [&](const std::string& field, auto&& word_ok, bool zero_ok) {
    std::vector<std::tuple<std::string, uint32_t, uint32_t>> words;
    size_t line = 0;
    for (auto row : text::split(j.value(field, ""), '\n')) {
      ++line;
      if (row.empty()) continue;
      auto cols = text::split(row, ' ');
      long long b = 0, d = 0;
      if (cols.size() != 3 || !word_ok(cols[0]) || !text::parse_int(cols[1], b) || !text::parse_int(cols[2], d) ||
          b < 0 || d < 0 || (b + d == 0 && !zero_ok) || b > UINT32_MAX || d > UINT32_MAX)
        throw bad(field, "bad " + field + " line " + std::to_string(line));
      words.emplace_back(cols[0], static_cast<uint32_t>(b), static_cast<uint32_t>(d));
    }
    return words;
  };
  m.set_vocabulary(word_rows("vocabulary", [](const std::string& w) { return !w.empty(); }, false));
  try {
    auto counts = j.at("dictionary_labels");
    m.dict_benign_ = counts.at(0).get<uint32_t>();
    m.dict_dga_ = counts.at(1).get<uint32_t>();
  } catch (const std::exception&) {
    throw bad("dictionary_labels", "expected [benign labels, DGA labels]");
  }
  auto dict = word_rows(
      "dictionary",
      [](const std::string& w) {
        return w.size() >= kMinDictWord && w.size() <= kMaxDictWord &&
               std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
      },
      true);
  std::sort(dict.begin(), dict.end());
  for (size_t k = 1; k < dict.size(); ++k)
    if (std::get<0>(dict[k - 1]) == std::get<0>(dict[k])) throw bad("dictionary", "word '" + std::get<0>(dict[k]) + "' twice");
  m.set_dictionary(std::move(dict), true);
  {
    std::string packed;
    if (!b64_decode(j.value("benign_pairs_u64le_base64", ""), packed) || packed.size() % 8)
      throw bad("benign_pairs_u64le_base64", "bad word pair data");
    std::vector<uint64_t>& pairs = m.benign_pairs_.owned();
    for (size_t i = 0; i < packed.size(); i += 8) {
      uint64_t k = 0;
      for (int b = 0; b < 8; ++b) k |= uint64_t(uint8_t(packed[i + b])) << (8 * b);
      pairs.push_back(k);
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  }
  size_t line = 0;
  for (auto row : text::split(j.value("suffix_odds", ""), '\n')) {
    ++line;
    if (row.empty()) continue;
    auto cols = text::split(row, ' ');
    double v = 0;
    if (cols.size() != 2 || !text::parse_double(cols[1], v) || !std::isfinite(v))
      throw bad("suffix_odds", "bad suffix line " + std::to_string(line));
    m.suffixes_.emplace_back(cols[0], static_cast<float>(v));
    m.suffix_odds_[word_key(cols[0])] = static_cast<float>(v);
  }
  if (!unpack_int16(j.value("weights_int16le_base64", ""), kBuckets, j.value("scale", 2000.0), m.w_.owned()))
    throw bad("weights_int16le_base64", "bad weight data");
  if (!unpack_int16(j.value("chars_benign_int16le_base64", ""), kCharTable, j.value("chars_scale", 1000.0), m.chars_benign_.owned()))
    throw bad("chars_benign_int16le_base64", "bad character model");
  if (!unpack_int16(j.value("chars_dga_int16le_base64", ""), kCharTable, j.value("chars_scale", 1000.0), m.chars_dga_.owned()))
    throw bad("chars_dga_int16le_base64", "bad character model");
  m.bias_ = j.value("bias", 0.0f);
  m.threshold_ = j.value("threshold", 0.5);
  if (!std::isfinite(m.bias_) || !(m.threshold_ > 0 && m.threshold_ < 1)) throw bad("threshold", "bias or threshold out of range");
  if (!j.contains("families") || !j["families"].is_array()) throw bad("families", "expected an array of families");
  for (const auto& jf : j["families"]) {
    Family f;
    f.name = jf.at("name").get<std::string>();
    for (auto pair : text::split(jf.at("trigrams").get<std::string>(), ' ')) {
      if (pair.empty()) continue;
      size_t colon = pair.find(':');
      long long i = -1, c = 0;
      if (colon == std::string::npos || !text::parse_int(pair.substr(0, colon), i) ||
          !text::parse_int(pair.substr(colon + 1), c) || i < 0 || size_t(i) >= kCharTable || c <= 0 || c > UINT32_MAX)
        throw bad("families", "family '" + f.name + "': bad trigram count '" + pair + "'");
      if (!f.trigrams.empty() && f.trigrams.back().first >= static_cast<uint32_t>(i))
        throw bad("families", "family '" + f.name + "': trigrams out of order at '" + pair + "'");
      f.trigrams.emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(c));
    }
    f.lengths = jf.at("lengths").get<std::vector<uint32_t>>();
    if (f.lengths.size() != kMaxFamilyLength + 1) throw bad("families", "family '" + f.name + "': lengths must have 41 counts");
    for (auto row : text::split(jf.at("suffixes").get<std::string>(), '\n')) {
      if (row.empty()) continue;
      auto cols = text::split(row, ' ');
      long long c = 0;
      if (cols.size() != 2 || !text::parse_int(cols[1], c) || c <= 0 || c > UINT32_MAX)
        throw bad("families", "family '" + f.name + "': bad suffix line '" + row + "'");
      f.suffixes.emplace_back(cols[0], static_cast<uint32_t>(c));
    }
    m.families_.push_back(std::move(f));
  }
  // Trees: every child after its parent (no cycles), features in range.
  try {
    const auto& t = j.at("trees");
    if (t.at("dense_features").get<int>() != kDense) throw bad("trees", "trees over a different feature set");
    float base = t.at("base").get<float>();
    std::vector<DgaTrees::Node> nodes;
    std::vector<int32_t> roots;
    line = 0;
    for (auto row : text::split(t.at("nodes").get<std::string>(), '\n')) {
      ++line;
      if (row.empty()) continue;
      auto cols = text::split(row, ' ');
      long long feature = 0, left = 0, right = 0;
      double thr = 0, value = 0;
      if (cols.size() != 5 || !text::parse_int(cols[0], feature) || !text::parse_double(cols[1], thr) ||
          !text::parse_int(cols[2], left) || !text::parse_int(cols[3], right) || !text::parse_double(cols[4], value) ||
          feature < -1 || feature >= kDense || !std::isfinite(thr) || !std::isfinite(value))
        throw bad("trees", "bad tree node line " + std::to_string(line));
      DgaTrees::Node n;
      n.feature = static_cast<int32_t>(feature);
      n.threshold = static_cast<float>(thr);
      n.value = static_cast<float>(value);
      if (feature >= 0) {
        if (left < 0 || right < 0 || left > INT32_MAX || right > INT32_MAX)
          throw bad("trees", "tree node line " + std::to_string(line) + " points backwards");
        n.left = static_cast<int32_t>(left);
        n.right = static_cast<int32_t>(right);
      }
      nodes.push_back(n);
    }
    for (const auto& r : t.at("roots")) {
      auto v = r.get<long long>();
      if (v < 0 || v > INT32_MAX) throw bad("trees", "a tree root points past the last node");
      roots.push_back(static_cast<int32_t>(v));
    }
    if (!std::isfinite(base)) throw bad("trees", "tree base is not a number");
    check_nodes(nodes, roots, source);
    m.trees_ = DgaTrees::complete(nodes, roots, base);
  } catch (const DataError&) {
    throw;
  } catch (const std::exception& e) {
    throw bad("trees", std::string("bad trees: ") + e.what());
  }
  m.trained_ = true;
  return m;
}

void DgaModel::check_nodes(const std::vector<DgaTrees::Node>& nodes, const std::vector<int32_t>& roots, const std::string& source) {
  // Every child after its parent (no cycles), every index and feature in range.
  auto bad = [&](const std::string& what) { return DataError(SourceLocation{source, 0, 0, "trees"}, what); };
  for (size_t k = 0; k < nodes.size(); ++k) {
    const auto& n = nodes[k];
    if (n.feature < -1 || n.feature >= kDense) throw bad("tree node " + std::to_string(k) + ": feature out of range");
    if (!std::isfinite(n.threshold) || !std::isfinite(n.value)) throw bad("tree node " + std::to_string(k) + ": not a number");
    if (n.feature < 0) continue;
    if (n.left <= int64_t(k) || n.right <= int64_t(k)) throw bad("tree node " + std::to_string(k) + " points backwards");
    if (size_t(n.left) >= nodes.size() || size_t(n.right) >= nodes.size()) throw bad("a tree node points past the last node");
  }
  for (int32_t r : roots)
    if (r < 0 || size_t(r) >= nodes.size()) throw bad("a tree root points past the last node");
}

namespace {

// The binary model file. Layout (little-endian): magic, u32 version, u32
// dense feature count, u32 buckets, then the sections in to_binary's order.
// Strings are u16 length + bytes; arrays are u32 count + items. Everything
// scoring reads is stored as it sits in memory (aligned within the file) and
// used in place from the mapping; what only export reads (word lists,
// family counts) is a u64 length + bytes, decoded when exported.
constexpr char kBinaryMagic[8] = {'O', 'P', 'S', 'K', 'D', 'G', 'A', '\n'};
constexpr uint32_t kBinaryVersion = 4;  // 3: tables in place, family tables precomputed (opskit-dga-5); 4: complete trees

class BinaryWriter {
 public:
  std::string out;
  template <typename T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
    out.append(b, sizeof(T));
  }
  void str(std::string_view s) {
    put<uint16_t>(static_cast<uint16_t>(std::min<size_t>(s.size(), 65535)));
    out.append(s.substr(0, 65535));
  }
  void align(size_t n) {
    while (out.size() % n) out.push_back('\0');
  }
  // Items as they sit in memory, aligned for use in place.
  template <typename T>
  void items(const T* p, size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    align(alignof(T));
    out.append(reinterpret_cast<const char*>(p), n * sizeof(T));
  }
  template <typename T>
  void counted(const ModelArray<T>& a) {
    put<uint32_t>(static_cast<uint32_t>(a.size()));
    items(a.data(), a.size());
  }
  void block(std::string_view bytes) {
    put<uint64_t>(bytes.size());
    out.append(bytes);
  }
};

// Every read checks the bytes are there; a failure names the source, the
// section and the byte offset.
class BinaryReader {
 public:
  BinaryReader(std::string_view data, const std::string& source) : d_(data), source_(source) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(SourceLocation{source_, 0, 0, section_},
                    "bad binary DGA model: " + what + " (section " + section_ + ", byte " + std::to_string(pos_) + ")");
  }
  void section(const char* name) { section_ = name; }
  void need(size_t n) const {
    if (n > d_.size() - pos_) fail("truncated: " + std::to_string(n) + " more bytes expected, " + std::to_string(d_.size() - pos_) + " left");
  }
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, d_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  float finite() {
    float v = get<float>();
    if (!std::isfinite(v)) fail("a number is not finite");
    return v;
  }
  // A count of items of at least `item` bytes each: checked against what is left.
  uint32_t count(size_t item) {
    uint32_t n = get<uint32_t>();
    if (item && n > (d_.size() - pos_) / item) fail("truncated: count " + std::to_string(n) + " runs past the end of the file");
    return n;
  }
  std::string_view str() {
    uint16_t n = get<uint16_t>();
    need(n);
    std::string_view s = d_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // Zero bytes up to the next multiple of n.
  void align(size_t n) {
    while (pos_ % n) {
      if (get<uint8_t>() != 0) fail("non-zero padding");
    }
  }
  // n items in place: a view of the bytes (the data must outlive it).
  template <typename T>
  ModelArray<T> items(size_t n) {
    static_assert(std::is_trivially_copyable_v<T> && std::endian::native == std::endian::little);
    align(alignof(T));
    if (n > (d_.size() - pos_) / sizeof(T)) fail("truncated: " + std::to_string(n) + " items run past the end of the file");
    if (reinterpret_cast<uintptr_t>(d_.data() + pos_) % alignof(T)) fail("data not aligned");
    auto a = ModelArray<T>::view(reinterpret_cast<const T*>(d_.data() + pos_), n);
    pos_ += n * sizeof(T);
    return a;
  }
  template <typename T>
  ModelArray<T> counted() {
    return items<T>(count(sizeof(T)));
  }
  std::string_view block() {
    uint64_t n = get<uint64_t>();
    need(n);
    std::string_view s = d_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool at_end() const { return pos_ == d_.size(); }

 private:
  std::string_view d_;
  const std::string& source_;
  size_t pos_ = 0;
  std::string section_ = "header";
};

// A word list as stored: u32 count, then (string, u32 benign, u32 DGA) each.
std::string encode_words(const std::vector<std::tuple<std::string, uint32_t, uint32_t>>& words) {
  BinaryWriter w;
  w.put<uint32_t>(static_cast<uint32_t>(words.size()));
  for (const auto& [word, b, d] : words) {
    w.str(word);
    w.put<uint32_t>(b);
    w.put<uint32_t>(d);
  }
  return std::move(w.out);
}

std::vector<std::tuple<std::string, uint32_t, uint32_t>> decode_words(std::string_view raw) {
  std::vector<std::tuple<std::string, uint32_t, uint32_t>> out;
  if (raw.empty()) return out;
  std::string source = "model";
  BinaryReader r(raw, source);
  r.section("word list");
  uint32_t n = r.count(10);
  out.reserve(n);
  for (uint32_t k = 0; k < n; ++k) {
    std::string_view word = r.str();
    uint32_t b = r.get<uint32_t>(), d = r.get<uint32_t>();
    out.emplace_back(std::string(word), b, d);
  }
  if (!r.at_end()) r.fail("trailing bytes after the last word");
  return out;
}

}  // namespace

// The families' counts as stored: u32 count, then per family its name, u32
// trigram count + (u32 index, u32 count) pairs, u32 length count + counts,
// u32 suffix count + (string, u32 count) pairs.
std::string DgaModel::encode_families(const std::vector<Family>& families) {
  BinaryWriter w;
  w.put<uint32_t>(static_cast<uint32_t>(families.size()));
  for (const auto& f : families) {
    w.str(f.name);
    w.put<uint32_t>(static_cast<uint32_t>(f.trigrams.size()));
    for (auto [i, c] : f.trigrams) {
      w.put<uint32_t>(i);
      w.put<uint32_t>(c);
    }
    w.put<uint32_t>(static_cast<uint32_t>(f.lengths.size()));
    for (uint32_t c : f.lengths) w.put<uint32_t>(c);
    w.put<uint32_t>(static_cast<uint32_t>(f.suffixes.size()));
    for (const auto& [sfx, c] : f.suffixes) {
      w.str(sfx);
      w.put<uint32_t>(c);
    }
  }
  return std::move(w.out);
}

std::vector<DgaModel::Family> DgaModel::decode_families(std::string_view raw) {
  std::vector<Family> out;
  if (raw.empty()) return out;
  std::string source = "model";
  BinaryReader r(raw, source);
  r.section("family counts");
  uint32_t n = r.count(14);
  for (uint32_t k = 0; k < n; ++k) {
    Family f;
    f.name = r.str();
    f.trigrams.resize(r.count(8));
    for (auto& [i, c] : f.trigrams) {
      i = r.get<uint32_t>();
      c = r.get<uint32_t>();
    }
    f.lengths.resize(r.count(4));
    for (auto& c : f.lengths) c = r.get<uint32_t>();
    uint32_t nsfx = r.count(6);
    for (uint32_t s = 0; s < nsfx; ++s) {
      std::string_view sfx = r.str();
      f.suffixes.emplace_back(std::string(sfx), r.get<uint32_t>());
    }
    out.push_back(std::move(f));
  }
  if (!r.at_end()) r.fail("trailing bytes after the last family");
  return out;
}

bool DgaModel::is_binary(std::string_view data) {
  return data.size() >= sizeof kBinaryMagic && std::memcmp(data.data(), kBinaryMagic, sizeof kBinaryMagic) == 0;
}

std::string DgaModel::to_binary() const {
  BinaryWriter w;
  w.out.append(kBinaryMagic, sizeof kBinaryMagic);
  w.put<uint32_t>(kBinaryVersion);
  w.put<uint32_t>(kDense);
  w.put<uint32_t>(kBuckets);
  w.put<double>(threshold_);
  w.put<float>(bias_);
  // Weights and character models rounded as the JSON export stores them.
  auto rounded = [](const ModelArray<float>& v, float scale) {
    std::vector<float> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = dequantise(quantise(v[i], scale), scale);
    return ModelArray<float>(std::move(out));
  };
  w.counted(rounded(w_, 2000.0f));
  // Word lists as stored (a loaded model keeps them so), each followed by
  // its hash table.
  w.put<uint32_t>(vocab_benign_);
  w.put<uint32_t>(vocab_dga_);
  w.block(words_.empty() ? std::string(vocab_words_raw_) : encode_words(words_));
  w.counted(vocab_.slots);
  w.put<uint32_t>(static_cast<uint32_t>(suffixes_.size()));
  for (const auto& [sfx, v] : suffixes_) {
    w.str(sfx);
    w.put<float>(v);
  }
  w.put<uint32_t>(dict_benign_);
  w.put<uint32_t>(dict_dga_);
  w.block(dict_.empty() ? std::string(dict_words_raw_) : encode_words(dict_));
  w.counted(dict_table_.slots);
  w.counted(benign_pairs_);
  w.counted(rounded(chars_benign_, 1000.0f));
  w.counted(rounded(chars_dga_, 1000.0f));
  w.block(families_.empty() ? std::string(family_counts_raw_) : encode_families(families_));
  const FamilyTables& t = family_tables();
  w.put<uint32_t>(static_cast<uint32_t>(t.families));
  w.put<uint32_t>(static_cast<uint32_t>(t.suffixes.size()));
  for (const auto& sfx : t.suffixes) w.str(sfx);
  w.items(t.chars.data(), t.chars.size());
  w.items(t.lengths.data(), t.lengths.size());
  w.items(t.suffix_lp.data(), t.suffix_lp.size());
  w.put<float>(trees_.base);
  w.put<uint32_t>(trees_.depth);
  w.align(4);  // each count sits just before its items
  w.counted(trees_.thresholds);
  w.counted(trees_.leaves);
  w.counted(trees_.features);
  return std::move(w.out);
}

DgaModel DgaModel::from_binary(std::string_view data, const std::string& source) {
  // The model's tables are read in place: keep an (aligned) copy of the bytes.
  auto copy = std::make_shared<const std::string>(data);
  return from_binary_backed(*copy, source, copy);
}

// What scoring reads is checked for what its indexing relies on: counts and
// sizes against the file, word tables a power of two with an empty slot
// (probing stops), word pairs sorted (bisected), tree arrays the sizes
// their depth gives and split features in range. Per-value checks nothing relies on (the word lists
// and family counts only export reads) are left to export and to the JSON
// loader; the tables' numbers are used as stored.
DgaModel DgaModel::from_binary_backed(std::string_view data, const std::string& source, std::shared_ptr<const void> backing) {
  BinaryReader r(data, source);
  auto read_table = [&](WordTable& t) {
    t.slots = r.counted<WordTable::Slot>();
    size_t size = t.slots.size();
    if (size == 0) return;
    if (size < 16 || (size & (size - 1))) r.fail("table size " + std::to_string(size) + " is not a power of two");
    t.shift = 64 - std::countr_zero(size);
    // A lookup stops at an empty slot: there must be one.
    bool empty_slot = false;
    for (size_t i = 0; i < size && !empty_slot; ++i) empty_slot = t.slots[i].key == 0;
    if (!empty_slot) r.fail("a table without an empty slot");
  };
  auto floats = [&](size_t expected) {
    ModelArray<float> a = r.counted<float>();
    if (a.size() != expected) r.fail("expected " + std::to_string(expected) + " values, found " + std::to_string(a.size()));
    return a;
  };
  if (!is_binary(data)) r.fail("not a binary DGA model (no OPSKDGA magic)");
  r.get<uint64_t>();
  uint32_t version = r.get<uint32_t>();
  if (version != kBinaryVersion)
    r.fail("format version " + std::to_string(version) + ", this build reads " + std::to_string(kBinaryVersion) +
           " (retrain with `capture model train`)");
  uint32_t dense = r.get<uint32_t>(), buckets = r.get<uint32_t>();
  if (dense != uint32_t(kDense) || buckets != kBuckets)
    r.fail("a model over " + std::to_string(dense) + " features and " + std::to_string(buckets) + " buckets; this build uses " +
           std::to_string(kDense) + " and " + std::to_string(kBuckets) + " (retrain with `capture model train`)");
  DgaModel m;
  r.section("threshold");
  m.threshold_ = r.get<double>();
  m.bias_ = r.finite();
  if (!(m.threshold_ > 0 && m.threshold_ < 1)) r.fail("threshold out of range");
  r.section("weights");
  m.w_ = floats(kBuckets);
  r.section("vocabulary");
  m.vocab_benign_ = r.get<uint32_t>();
  m.vocab_dga_ = r.get<uint32_t>();
  m.vocab_words_raw_ = r.block();
  read_table(m.vocab_);
  r.section("suffix_odds");
  uint32_t nsuffix = r.count(6);
  for (uint32_t k = 0; k < nsuffix; ++k) {
    std::string_view sfx = r.str();
    float v = r.finite();
    m.suffixes_.emplace_back(std::string(sfx), v);
    m.suffix_odds_[word_key(sfx)] = v;
  }
  r.section("dictionary");
  m.dict_benign_ = r.get<uint32_t>();
  m.dict_dga_ = r.get<uint32_t>();
  m.dict_words_raw_ = r.block();
  read_table(m.dict_table_);
  m.benign_pairs_ = r.counted<uint64_t>();
  if (!std::is_sorted(m.benign_pairs_.begin(), m.benign_pairs_.end())) r.fail("word pairs out of order");
  r.section("chars");
  m.chars_benign_ = floats(kCharTable);
  m.chars_dga_ = floats(kCharTable);
  r.section("families");
  m.family_counts_raw_ = r.block();
  FamilyTables t;
  t.families = r.count(kCharTable * sizeof(float));
  uint32_t nsuffixes = r.count(2);
  for (uint32_t k = 0; k < nsuffixes; ++k) {
    t.suffixes.emplace_back(r.str());
    t.suffix_rows[word_key(t.suffixes.back())] = k;
  }
  t.chars = r.items<float>(kCharTable * t.families);
  t.lengths = r.items<float>((kMaxFamilyLength + 1) * t.families);
  t.suffix_lp = r.items<float>((size_t(nsuffixes) + 1) * t.families);
  std::call_once(m.family_models_->once, [&] { m.family_models_->tables = std::move(t); });
  r.section("trees");
  m.trees_.base = r.finite();
  DgaTrees& trees = m.trees_;
  trees.depth = r.get<uint32_t>();
  if (trees.depth > DgaTrees::kMaxDepth) r.fail("trees deeper than " + std::to_string(DgaTrees::kMaxDepth) + " levels");
  r.align(4);
  trees.thresholds = r.counted<float>();
  trees.leaves = r.counted<float>();
  trees.features = r.counted<uint8_t>();
  const size_t splits = (size_t(1) << trees.depth) - 1;
  if (trees.leaves.size() % (splits + 1) || trees.thresholds.size() != trees.count() * splits ||
      trees.features.size() != trees.thresholds.size())
    r.fail("tree arrays of " + std::to_string(trees.thresholds.size()) + " splits, " + std::to_string(trees.features.size()) +
           " features and " + std::to_string(trees.leaves.size()) + " leaves do not make trees of depth " +
           std::to_string(trees.depth));
  if (std::any_of(trees.features.begin(), trees.features.end(), [](uint8_t f) { return f >= kDense; }))
    r.fail("a tree split on a feature out of range");
  if (!r.at_end()) r.fail("trailing bytes after the last section");
  m.backing_ = std::move(backing);
  m.trained_ = true;
  return m;
}

DgaModel DgaModel::parse(std::string_view data, const std::string& source) {
  return is_binary(data) ? from_binary(data, source) : from_json(std::string(data), source);
}

DgaModel DgaModel::load(const std::string& path) {
  // Mapped, not read: no copy of the file and its pages come from the page cache.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError(SourceLocation{path, 0, 0, ""}, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    ::close(fd);
    return parse(text::read_file(path), path);  // a pipe or an empty file: read it (and report it) the plain way
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return parse(text::read_file(path), path);
  std::shared_ptr<const void> mapping(p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
  std::string_view data(static_cast<const char*>(p), size);
  // The binary file is used in place (its tables are views of the mapping).
  if (is_binary(data)) return from_binary_backed(data, path, mapping);
  return from_json(std::string(data), path);
}

std::string DgaModel::default_path() {
  if (const char* env = std::getenv("OPSKIT_DGA_MODEL"); env && *env) return env;
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  // Installed under any prefix: <prefix>/bin/capture next to <prefix>/share/opskit.
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && exe.has_parent_path()) candidates.push_back(exe.parent_path().parent_path() / "share/opskit");
  candidates.push_back(OPSKIT_NET_DATA_DIR);
  candidates.push_back("/usr/local/share/opskit");
  candidates.push_back("/usr/share/opskit");
  for (const auto& dir : candidates)
    for (const char* name : {"dga_model.bin", "dga_model.json"})
      if (fs::exists(dir / name, ec)) return (dir / name).string();
  return {};
}

namespace {

void read_lines(const std::string& path, bool dga, const std::string& family, std::vector<LabelledDomain>& out,
                bool skip_first = false) {
  std::ifstream in(path);
  if (!in) return;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first && skip_first) {
      first = false;
      continue;
    }
    first = false;
    std::string d = normalize_domain(line);
    if (d.empty() || d.find(' ') != std::string::npos || d.find(',') != std::string::npos) continue;
    out.push_back({d, dga, family});
  }
}

}  // namespace

void load_domain_lists(const std::string& dir, std::vector<LabelledDomain>& train, std::vector<LabelledDomain>& held_out) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) throw DataError(SourceLocation{dir, 0, 0, ""}, "not a directory of domain lists");
  // The nDPI test pair is split by a hash of the name: one half trains
  // (the other lists hold too few benign names), the other half is held out.
  std::vector<LabelledDomain> all, ndpi;
  read_lines(dir + "/ndpi_test_dga.csv", true, "ndpi", ndpi);
  read_lines(dir + "/ndpi_test_non_dga.csv", false, "alexa", ndpi);
  for (auto& d : ndpi) (fnv(d.domain, 7) % 2 ? held_out : all).push_back(d);
  if (fs::exists(dir + "/chrmor_dga_domains_sample.csv")) {
    auto reader = csv::Reader::open(dir + "/chrmor_dga_domains_sample.csv", csv::Options{',', false, true, true});
    csv::Record r;
    while (reader->next(r)) {
      if (r.size() < 3) continue;
      std::string type(r[0]);
      if (type != "dga" && type != "legit") continue;
      all.push_back({normalize_domain(r[2]), type == "dga", std::string(r[1])});
    }
  }
  // The reimplemented generators' 1000-name samples; their full 100,000-name
  // lists would outweigh the 25 families the test lists are drawn from.
  for (const char* fam : {"conficker", "cryptolocker", "matsnu", "pushdo", "ramdo", "rovnix", "tinba", "zeus"})
    read_lines(dir + "/andrewaeva_dga/" + std::string(fam) + "_1000.txt", true, fam, all);
  read_lines(dir + "/andrewaeva_dga/alexa_1000.txt", false, "alexa", all);
  read_lines(dir + "/andrewaeva_dga/others_dga.txt", true, "others", all);
  if (fs::exists(dir + "/andrewaeva_dga/dds-malicious-domains.csv")) {
    auto reader = csv::Reader::open(dir + "/andrewaeva_dga/dds-malicious-domains.csv", csv::Options{',', true, true, true});
    csv::Record r;
    while (reader->next(r))
      if (r.size() >= 2) all.push_back({normalize_domain(r[0]), true, std::string(r[1])});
  }
  read_lines(dir + "/360netlab_chinad_examples.txt", true, "chinad", all);
  read_lines(dir + "/360netlab_vidro_examples.txt", true, "vidro", all, true);
  // The OpenDNS lists are left out of training: resolver samples, they hold real DGA names labelled benign.
  // opendns-random-domains.txt is left out: a resolver sample, it holds real DGA traffic labelled benign.
  std::unordered_set<std::string> held;
  for (const auto& d : held_out) held.insert(d.domain);
  std::unordered_set<std::string> seen;
  for (auto& d : all)
    if (!d.domain.empty() && d.domain.find('.') != std::string::npos && !held.count(d.domain) &&
        seen.insert(d.domain).second)
      train.push_back(std::move(d));
}

DgaEvaluation evaluate(const DgaModel& model, const std::vector<LabelledDomain>& data) {
  DgaEvaluation e;
  for (const auto& d : data) {
    bool flagged = model.score(d.domain) >= model.threshold();
    if (d.dga) {
      ++e.dga;
      if (flagged) ++e.detected;
    } else {
      ++e.benign;
      if (flagged) ++e.false_positives;
    }
  }
  return e;
}

}  // namespace opskit::net
