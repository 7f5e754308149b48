// DGA model: hashed n-gram logistic regression (stage 1) and gradient-boosted
// trees over its out-of-fold logit and dense statistics (stage 2).
#include "net/dga.hpp"

#include <libpsl.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <fstream>
#include <mutex>
#include <random>
#include <unordered_set>

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

const DomainParts& DomainSplitCache::split(std::string_view name) {
  uint64_t h = std::hash<std::string_view>{}(name) | 1;  // 0 marks an empty entry
  Entry& e = entries_[(h >> 7) & (entries_.size() - 1)];
  if (e.hash == h && e.name == name) return e.parts;
  DomainParts parts;
  size_t dot = name.find('.');
  bool through_parent = false;
  bool plain = true;  // no white space: the parent's normalised form is the tail of the name's
  for (char c : name) plain &= c != ' ' && c != '\t' && c != '\r' && c != '\n';
  if (dot != std::string_view::npos && dot > 0 && plain) {
    const DomainParts& up = split(name.substr(dot + 1));  // may reuse e's slot: copy before writing e
    if (up.listed && !up.registrable.empty()) {
      std::string n = normalize_domain(name);
      size_t rl = up.registrable.size();
      if (n.size() > rl + 1 && n[n.size() - rl - 1] == '.' && n.compare(n.size() - rl, rl, up.registrable) == 0 &&
          !psl_is_public_suffix(psl(), n.c_str())) {
        parts = up;
        parts.subdomain = n.substr(0, n.size() - rl - 1);
        through_parent = true;
      }
    }
  }
  if (!through_parent) parts = split_domain(name);
  Entry& slot = entries_[(h >> 7) & (entries_.size() - 1)];
  slot.hash = h;
  slot.name.assign(name);
  slot.parts = std::move(parts);
  return slot.parts;
}

DomainParts split_domain(std::string_view name) {
  DomainParts parts;
  std::string n = normalize_domain(name);
  if (n.empty()) return parts;
  const char* reg = psl_registrable_domain(psl(), n.c_str());
  if (!reg) {
    // The name is itself a public suffix or has a single label: judge the first label.
    size_t dot = n.find('.');
    parts.registrable = n;
    parts.label = n.substr(0, dot);
    parts.suffix = dot == std::string::npos ? "" : n.substr(dot + 1);
    return parts;
  }
  parts.registrable = reg;
  parts.listed = true;
  size_t off = static_cast<size_t>(reg - n.c_str());
  parts.subdomain = off ? n.substr(0, off - 1) : "";
  size_t dot = parts.registrable.find('.');
  parts.label = parts.registrable.substr(0, dot);
  parts.suffix = dot == std::string::npos ? "" : parts.registrable.substr(dot + 1);
  return parts;
}

DgaModel::DgaModel() : w_(kBuckets, 0.0f) {}

namespace {

inline uint64_t word_key(std::string_view w) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : w) h = (h ^ c) * 1099511628211ull;
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
  kFamilyRatio, kFamilyCharRatio, kDenseCount
};
static_assert(kDenseCount == DgaModel::kDense);

inline double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Histogram gradient boosting with the logistic loss, trees grown level by
// level to a fixed depth; features are cut into at most 64 quantile bins.
DgaTrees fit_trees(const std::vector<float>& x, const std::vector<uint8_t>& y, const DgaModel::TrainOptions& o) {
  constexpr int nf = DgaModel::kDense;
  constexpr size_t kBins = 64, kMinLeaf = 20;
  constexpr double kLambda = 1.0;
  const size_t n = y.size();
  DgaTrees t;
  if (!n) return t;
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
    t.roots.push_back(static_cast<int32_t>(t.nodes.size()));
    t.nodes.emplace_back();
    std::vector<Pending> todo{{t.roots.back(), 0, n, 0}};
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
        t.nodes[p.node].value = v;
        for (size_t r = p.begin; r < p.end; ++r) f_score[rows[r]] += v;
        continue;
      }
      auto mid = std::partition(rows.begin() + p.begin, rows.begin() + p.end,
                                [&](size_t i) { return bins[i * nf + best_f] <= best_b; });
      size_t m = static_cast<size_t>(mid - rows.begin());
      auto left = static_cast<int32_t>(t.nodes.size());
      t.nodes.emplace_back();
      t.nodes.emplace_back();
      DgaTrees::Node& nd = t.nodes[p.node];
      nd.feature = best_f;
      nd.threshold = cuts[best_f][best_b];
      nd.left = left;
      nd.right = left + 1;
      todo.push_back({left, p.begin, m, p.depth + 1});
      todo.push_back({left + 1, m, p.end, p.depth + 1});
    }
  }
  return t;
}

}  // namespace

double DgaTrees::predict(const float* x) const {
  double z = base;
  for (int32_t r : roots) {
    int32_t i = r;
    while (nodes[i].feature >= 0) i = x[nodes[i].feature] <= nodes[i].threshold ? nodes[i].left : nodes[i].right;
    z += nodes[i].value;
  }
  return z;
}

void DgaModel::segment(std::string_view label, std::vector<std::string_view>& words, size_t& uncovered, float& cost) const {
  words.clear();
  uncovered = 0;
  size_t n = std::min<size_t>(label.size(), 64);
  float best[65];
  uint8_t from[65];  // length of the last piece (0: an uncovered character or a hyphen)
  best[0] = 0;
  for (size_t i = 1; i <= n; ++i) {
    best[i] = best[i - 1] + (label[i - 1] == '-' ? 0.0f : kUncoveredCost);
    from[i] = 0;
    for (size_t len = kMinWord; len <= std::min(kMaxWord, i); ++len) {
      auto it = vocab_.find(word_key(label.substr(i - len, len)));
      if (it == vocab_.end()) continue;
      float c = best[i - len] + it->second.log_p;
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

void DgaModel::set_vocabulary(std::vector<std::tuple<std::string, uint32_t, uint32_t>> words) {
  std::sort(words.begin(), words.end());
  words_ = std::move(words);
  double total = 0;
  for (auto& [w, b, d] : words_) total += b + d;
  vocab_.clear();
  vocab_.reserve(words_.size());
  double nb = std::max<uint32_t>(vocab_benign_, 1), nd = std::max<uint32_t>(vocab_dga_, 1);
  for (auto& [w, b, d] : words_)
    vocab_[word_key(w)] = {static_cast<float>(std::log((b + d) / total)),
                           static_cast<float>(std::log((d + 0.5) / nd) - std::log((b + 0.5) / nb))};
}

double DgaModel::char_log_likelihood(const std::vector<float>& model, std::string_view l) const {
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
  const uint32_t buckets = static_cast<uint32_t>(w_.size());
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
  x[kDgaChars] = static_cast<float>(char_log_likelihood(chars_dga_, label));
  x[kCharsDiff] = x[kDgaChars] - x[kBenignChars];
  // The likeliest generator against the benign names.
  x[kFamilyRatio] = x[kFamilyCharRatio] = 0;
  if (families_.size() > 1) {
    double bc = 0, ba = 0, best_c = -1e300, best_a = -1e300;
    family_log_likelihood(families_[0], label, suffix, bc, ba);
    for (size_t k = 1; k < families_.size(); ++k) {
      double c = 0, a = 0;
      family_log_likelihood(families_[k], label, suffix, c, a);
      best_c = std::max(best_c, c);
      best_a = std::max(best_a, a);
    }
    x[kFamilyRatio] = static_cast<float>(best_a - ba);
    x[kFamilyCharRatio] = static_cast<float>((best_c - bc) / double(len + 1));
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
  size_t nwords = 0, covered = 0, longest = 0;
  double odds_sum = 0, odds_max = 0, odds_min = 0;
  for (size_t k = 0; k < words.size(); ++k) {
    auto w = words[k];
    float odds = vocab_.find(word_key(w))->second.dga_odds;
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
  for (uint32_t i : f) z += w_[i];
  return z;
}

double DgaModel::score_label(std::string_view label, std::string_view suffix) const {
  thread_local std::vector<uint32_t> f;
  float x[kDense];
  features(label, suffix, f, x);
  x[kLogit] = static_cast<float>(raw(f));
  return sigmoid(trees_.roots.empty() ? x[kLogit] : trees_.predict(x));
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

namespace {
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
}  // namespace

void DgaModel::prepare_families() {
  // Every suffix any family saw, plus one for the unseen.
  std::unordered_set<std::string> all_suffixes;
  for (const auto& f : families_)
    for (const auto& [s, c] : f.suffixes) all_suffixes.insert(s);
  double v = double(all_suffixes.size()) + 1;
  for (auto& f : families_) {
    // Trigram probabilities smoothed towards bigrams, bigrams towards
    // unigrams (Dirichlet priors of 2), so small families stay sensible.
    std::vector<double> tri(kCharTable, 0), ctx2(size_t(kAlphabet) * kAlphabet, 0), bi(size_t(kAlphabet) * kAlphabet, 0),
        ctx1(kAlphabet, 0), uni(kAlphabet, 0);
    double total = 0;
    for (auto [i, c] : f.trigrams) {
      size_t a = i / (kAlphabet * kAlphabet), b = (i / kAlphabet) % kAlphabet, ch = i % kAlphabet;
      tri[i] += c;
      ctx2[a * kAlphabet + b] += c;
      bi[b * kAlphabet + ch] += c;
      ctx1[b] += c;
      uni[ch] += c;
      total += c;
    }
    f.chars.assign(kCharTable, 0);
    for (size_t a = 0; a < size_t(kAlphabet); ++a)
      for (size_t b = 0; b < size_t(kAlphabet); ++b)
        for (size_t ch = 0; ch < size_t(kAlphabet); ++ch) {
          double pu = (uni[ch] + 1) / (total + kAlphabet);
          double pb = (bi[b * kAlphabet + ch] + 2 * pu) / (ctx1[b] + 2);
          size_t i = (a * kAlphabet + b) * kAlphabet + ch;
          f.chars[i] = static_cast<float>(std::log((tri[i] + 2 * pb) / (ctx2[a * kAlphabet + b] + 2)));
        }
    double labels = 0;
    for (uint32_t c : f.lengths) labels += c;
    f.length_lp.assign(kMaxFamilyLength + 1, 0);
    for (size_t l = 0; l <= kMaxFamilyLength; ++l)
      f.length_lp[l] = static_cast<float>(std::log((f.lengths[l] + 0.5) / (labels + 0.5 * (kMaxFamilyLength + 1))));
    f.suffix_lp.clear();
    for (const auto& [s, c] : f.suffixes) f.suffix_lp[word_key(s)] = static_cast<float>(std::log((c + 0.5) / (labels + 0.5 * v)));
    f.other_suffix_lp = static_cast<float>(std::log(0.5 / (labels + 0.5 * v)));
  }
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
    prepare_families();
  };
  build();
  std::vector<std::vector<size_t>> named_members = members;
  for (int step = 0; step < 1 && names.size() > 1 && !unknown.empty(); ++step) {
    // Hard EM: each unnamed DGA name joins the family that explains it best.
    members = named_members;
    for (size_t r : unknown) {
      size_t best = 1;
      double best_all = -1e300;
      for (size_t k = 1; k < families_.size(); ++k) {
        double c = 0, a = 0;
        family_log_likelihood(families_[k], examples[r].label, examples[r].suffix, c, a);
        if (a > best_all) best_all = a, best = k;
      }
      members[best].push_back(r);
    }
    build();
  }
}

void DgaModel::family_log_likelihood(const Family& f, std::string_view label, std::string_view suffix, double& chars,
                                     double& all) const {
  chars = 0;
  for_trigrams(label, [&](uint32_t i) { chars += f.chars[i]; });
  auto it = f.suffix_lp.find(word_key(suffix));
  all = chars + f.length_lp[std::min(label.size(), kMaxFamilyLength)] + (it == f.suffix_lp.end() ? f.other_suffix_lp : it->second);
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
  chars_benign_ = fit_char_model(labels[0]);
  chars_dga_ = fit_char_model(labels[1]);
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

  // The logistic weights: AdaGrad SGD, classes weighted to balance.
  std::vector<std::vector<uint32_t>> feats(rows.size());
  float x[kDense];
  size_t pos = 0, neg = 0;
  w_.assign(kBuckets, 0.0f);
  bias_ = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    const Example& e = examples[rows[k]];
    features(e.label, e.suffix, feats[k], x);
    (e.y ? pos : neg)++;
  }
  if (!pos || !neg) throw DataError("capture model train: need both DGA and benign names");
  double wpos = double(pos + neg) / (2.0 * pos), wneg = double(pos + neg) / (2.0 * neg);
  std::vector<float> g2(w_.size(), 1e-6f);
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
        double gi = g + o.l2 * w_[i];
        g2[i] += static_cast<float>(gi * gi);
        w_[i] -= static_cast<float>(lr * gi / std::sqrt(g2[i]));
      }
      bias_g2 += static_cast<float>(g * g);
      bias_ -= static_cast<float>(lr * g / std::sqrt(bias_g2));
    }
  }
  // Quantise now so later stages see exactly what will be saved.
  for (auto& w : w_) w = std::clamp(std::round(w * 2000.0f) / 2000.0f, -16.0f, 16.0f);
  for (auto& v : chars_benign_) v = std::round(v * 1000.0f) / 1000.0f;
  for (auto& v : chars_dga_) v = std::round(v * 1000.0f) / 1000.0f;
}

double DgaModel::train(const std::vector<LabelledDomain>& data, const TrainOptions& o) {
  std::mt19937_64 rng(o.seed);
  // A fifth of each class is held out to choose the threshold on unseen
  // names; the rest trains, in folds for the trees' out-of-fold inputs.
  std::vector<Example> examples;
  std::vector<size_t> rows, validation;
  std::vector<int> fold;
  int folds = std::max(2, o.folds);
  for (const auto& d : data) {
    DomainParts p = split_domain(d.domain);
    bool held = rng() % 5 == 0;
    int f = static_cast<int>(rng() % static_cast<uint64_t>(folds));
    if (p.label.empty()) continue;
    (held ? validation : rows).push_back(examples.size());
    fold.push_back(f);
    // Named generator lists; "ndpi" and "others" are DGA names of unknown family.
    bool named = d.dga && !d.family.empty() && d.family != "ndpi" && d.family != "others";
    examples.push_back({std::move(p.label), std::move(p.suffix), d.dga, named ? d.family : std::string()});
  }
  std::vector<float> x(rows.size() * kDense);
  std::vector<uint8_t> y(rows.size());
  std::vector<uint32_t> f;
  for (int k = 0; k < folds; ++k) {
    std::vector<size_t> in, out;
    for (size_t r = 0; r < rows.size(); ++r) (fold[rows[r]] == k ? out : in).push_back(r);
    std::vector<size_t> in_rows;
    for (size_t r : in) in_rows.push_back(rows[r]);
    auto m = std::make_unique<DgaModel>();
    m->fit_stage1(examples, in_rows, o, rng());
    for (size_t r : out) {
      const Example& e = examples[rows[r]];
      float* xr = &x[r * kDense];
      m->features(e.label, e.suffix, f, xr);
      xr[kLogit] = static_cast<float>(m->raw(f));
      y[r] = e.y;
    }
  }
  fit_stage1(examples, rows, o, rng());
  trees_ = fit_trees(x, y, o);
  trained_ = true;
  std::vector<double> benign;
  for (size_t r : validation)
    if (!examples[r].y) benign.push_back(score_label(examples[r].label, examples[r].suffix));
  std::sort(benign.begin(), benign.end());
  if (benign.empty()) threshold_ = 0.5;
  else {
    size_t k = static_cast<size_t>(std::floor((1.0 - o.target_fp) * benign.size()));
    threshold_ = k >= benign.size() ? benign.back() : benign[k];
    threshold_ = std::min(0.99999, std::max(threshold_, 0.5));
  }
  return threshold_;
}

namespace {

std::string pack_int16(const std::vector<float>& v, float scale) {
  std::string packed;
  packed.reserve(v.size() * 2);
  for (float w : v) {
    auto q = static_cast<int16_t>(std::clamp<long>(std::lround(w * scale), -32768, 32767));
    packed.push_back(static_cast<char>(q & 0xff));
    packed.push_back(static_cast<char>((q >> 8) & 0xff));
  }
  return b64_encode(packed);
}

bool unpack_int16(const std::string& b64, size_t count, double scale, std::vector<float>& out) {
  std::string packed;
  if (!b64_decode(b64, packed) || packed.size() != count * 2) return false;
  out.resize(count);
  for (size_t i = 0; i < count; ++i) {
    int16_t q = static_cast<int16_t>(uint8_t(packed[2 * i]) | uint8_t(packed[2 * i + 1]) << 8);
    out[i] = static_cast<float>(q / scale);
  }
  return true;
}

std::string float_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

std::string DgaModel::to_json() const {
  nlohmann::json j;
  j["format"] = "opskit-dga-3";
  j["features"] = "stage 1: logistic model over hashed char 1-5 grams of ^label$, consonant/vowel/digit shape 3-6 grams, "
                  "vocabulary words (>= 4 letters, unigram segmentation) + binned shape and word statistics, fnv32, "
                  "2^19 buckets; stage 2: gradient-boosted trees over the stage-1 logit and 23 dense statistics";
  j["buckets"] = kBuckets;
  std::string vocabulary;  // "word benign_labels dga_labels" lines
  for (const auto& [w, b, d] : words_) vocabulary += w + " " + std::to_string(b) + " " + std::to_string(d) + "\n";
  j["vocabulary"] = vocabulary;
  j["vocabulary_labels"] = {vocab_benign_, vocab_dga_};
  std::string suffixes;  // "suffix log_odds" lines
  for (const auto& [s, v] : suffixes_) suffixes += s + " " + float_text(v) + "\n";
  j["suffix_odds"] = suffixes;
  j["chars_scale"] = 1000;
  j["chars_benign_int16le_base64"] = pack_int16(chars_benign_, 1000.0f);
  j["chars_dga_int16le_base64"] = pack_int16(chars_dga_, 1000.0f);
  j["scale"] = 2000;
  j["bias"] = bias_;
  j["threshold"] = threshold_;
  j["weights_int16le_base64"] = pack_int16(w_, 2000.0f);
  nlohmann::json families = nlohmann::json::array();
  for (const auto& f : families_) {
    std::string tri, suf;  // "index:count" pairs; "suffix count" lines
    for (auto [i, c] : f.trigrams) tri += std::to_string(i) + ":" + std::to_string(c) + " ";
    for (const auto& [s, c] : f.suffixes) suf += s + " " + std::to_string(c) + "\n";
    families.push_back({{"name", f.name}, {"trigrams", tri}, {"lengths", f.lengths}, {"suffixes", suf}});
  }
  j["families"] = families;
  std::string nodes;  // "feature threshold left right value" lines, feature -1 for a leaf
  for (const auto& n : trees_.nodes)
    nodes += n.feature < 0 ? "-1 0 0 0 " + float_text(n.value) + "\n"
                           : std::to_string(n.feature) + " " + float_text(n.threshold) + " " + std::to_string(n.left) +
                                 " " + std::to_string(n.right) + " 0\n";
  j["trees"] = {{"base", trees_.base}, {"roots", trees_.roots}, {"nodes", nodes}, {"dense_features", kDense}};
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
  if (!j.is_object() || j.value("format", "") != "opskit-dga-3" || j.value("buckets", 0u) != kBuckets)
    throw bad("format", "not an opskit-dga-3 model with 2^19 buckets (retrain with `capture model train`)");
  DgaModel m;
  try {
    auto counts = j.at("vocabulary_labels");
    m.vocab_benign_ = counts.at(0).get<uint32_t>();
    m.vocab_dga_ = counts.at(1).get<uint32_t>();
  } catch (const std::exception&) {
    throw bad("vocabulary_labels", "expected [benign labels, DGA labels]");
  }
  std::vector<std::tuple<std::string, uint32_t, uint32_t>> words;
  size_t line = 0;
  for (auto row : text::split(j.value("vocabulary", ""), '\n')) {
    ++line;
    if (row.empty()) continue;
    auto cols = text::split(row, ' ');
    long long b = 0, d = 0;
    if (cols.size() != 3 || cols[0].empty() || !text::parse_int(cols[1], b) || !text::parse_int(cols[2], d) || b < 0 ||
        d < 0 || b + d == 0 || b > UINT32_MAX || d > UINT32_MAX)
      throw bad("vocabulary", "bad vocabulary line " + std::to_string(line));
    words.emplace_back(cols[0], static_cast<uint32_t>(b), static_cast<uint32_t>(d));
  }
  m.set_vocabulary(std::move(words));
  line = 0;
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
  if (!unpack_int16(j.value("weights_int16le_base64", ""), kBuckets, j.value("scale", 2000.0), m.w_))
    throw bad("weights_int16le_base64", "bad weight data");
  if (!unpack_int16(j.value("chars_benign_int16le_base64", ""), kCharTable, j.value("chars_scale", 1000.0), m.chars_benign_))
    throw bad("chars_benign_int16le_base64", "bad character model");
  if (!unpack_int16(j.value("chars_dga_int16le_base64", ""), kCharTable, j.value("chars_scale", 1000.0), m.chars_dga_))
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
  m.prepare_families();
  // Trees: every child after its parent (no cycles), features in range.
  try {
    const auto& t = j.at("trees");
    if (t.at("dense_features").get<int>() != kDense) throw bad("trees", "trees over a different feature set");
    m.trees_.base = t.at("base").get<float>();
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
        long long self = static_cast<long long>(m.trees_.nodes.size());
        if (left <= self || right <= self || left > INT32_MAX || right > INT32_MAX)
          throw bad("trees", "tree node line " + std::to_string(line) + " points backwards");
        n.left = static_cast<int32_t>(left);
        n.right = static_cast<int32_t>(right);
      }
      m.trees_.nodes.push_back(n);
    }
    for (const auto& n : m.trees_.nodes)
      if (n.feature >= 0 && (size_t(n.left) >= m.trees_.nodes.size() || size_t(n.right) >= m.trees_.nodes.size()))
        throw bad("trees", "a tree node points past the last node");
    for (const auto& r : t.at("roots")) {
      auto v = r.get<long long>();
      if (v < 0 || size_t(v) >= m.trees_.nodes.size()) throw bad("trees", "a tree root points past the last node");
      m.trees_.roots.push_back(static_cast<int32_t>(v));
    }
  } catch (const DataError&) {
    throw;
  } catch (const std::exception& e) {
    throw bad("trees", std::string("bad trees: ") + e.what());
  }
  m.trained_ = true;
  return m;
}

DgaModel DgaModel::load(const std::string& path) { return from_json(text::read_file(path), path); }

std::string DgaModel::default_path() {
  if (const char* env = std::getenv("OPSKIT_DGA_MODEL"); env && *env) return env;
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  // Installed under any prefix: <prefix>/bin/capture next to <prefix>/share/opskit.
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && exe.has_parent_path()) candidates.push_back(exe.parent_path().parent_path() / "share/opskit/dga_model.json");
  candidates.push_back(OPSKIT_NET_DATA_DIR "/dga_model.json");
  candidates.push_back("/usr/local/share/opskit/dga_model.json");
  candidates.push_back("/usr/share/opskit/dga_model.json");
  for (const auto& p : candidates)
    if (fs::exists(p, ec)) return p.string();
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
