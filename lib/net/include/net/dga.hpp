#pragma once
// DGA scoring in two stages, both trained from labelled lists and shipped as
// a data file (lib/net/data/dga_model.bin, a binary file that is mapped and
// used in place, its tables, the families' log probabilities included, stored
// as scoring reads them; retrainable with `capture model train`, which can
// also export the same model as JSON). Both judge the registrable label (the label left of the public
// suffix, found with libpsl), so "x7fk2q.ddns.net" is judged on "x7fk2q".
//  1. A logistic model over hashed character n-grams (1-5), n-grams of the
//     consonant/vowel/digit shape, the words the label splits into (a
//     vocabulary of substrings recurring across the training labels, so
//     word-list families such as matsnu and suppobox are judged on their
//     words) and binned shape statistics.
//  2. Small gradient-boosted trees over the first stage's logit and dense
//     statistics: length, entropy, digits, vowels, consonant runs, word
//     coverage (and the shares covered by DGA-typical and benign-typical
//     words), how DGA-typical the label's words are, the label's likelihood
//     under benign and DGA character trigram models (and its rarest
//     trigram), the suffix's DGA odds, the dictionary segmentation, and how
//     much better the likeliest generator family explains the label (its
//     characters, length and suffix) than the benign names do. Families are
//     the named lists; DGA names of unknown family join the family that
//     explains them best (one hard EM step). The trees learn from
//     out-of-fold first-stage outputs, so they see the first stage as it
//     behaves on unseen names.
// Every training name trains; the threshold comes from out-of-fold scores
// of the whole pipeline over all the benign training names.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace opskit::net {

// The public-suffix split of a domain name ("a.b.example.co.uk" ->
// registrable "example.co.uk", label "example", suffix "co.uk",
// subdomain "a.b"). Uses the system list (publicsuffix package) when present.
struct DomainParts {
  std::string registrable, label, suffix, subdomain;
  bool listed = false;  // the public suffix list gave the registrable domain (not the first-label fallback)
};
DomainParts split_domain(std::string_view name);
// Lower-cases, trims spaces and a trailing dot.
std::string normalize_domain(std::string_view name);

// The same split as positions in the normalised name: every part is a
// piece of it, so a split needs no strings. Without a listed registrable
// domain the whole name is the registrable one (its first label judged).
struct DomainSplit {
  size_t registrable_at = 0;  // the registrable domain is the name from here on
  bool listed = false;
  std::string_view registrable(std::string_view name) const { return name.substr(registrable_at); }
  std::string_view subdomain(std::string_view name) const {
    return registrable_at ? name.substr(0, registrable_at - 1) : std::string_view();
  }
  std::string_view label(std::string_view name) const {
    std::string_view r = registrable(name);
    return r.substr(0, r.find('.'));
  }
  std::string_view suffix(std::string_view name) const {
    std::string_view r = registrable(name);
    size_t dot = r.find('.');
    return dot == std::string_view::npos ? std::string_view() : r.substr(dot + 1);
  }
};

// split_domain without the public-suffix walk for most names seen in
// traffic. The libpsl walk costs about a microsecond a name (several for
// the long names of a tunnel), so registrable domains it has found are
// remembered as anchors, and a name ending in an anchor A whose label just
// above A holds a byte no public-suffix rule can hold (not a-z, 0-9, '-',
// '*', '!' or above 0x7f: '_', '+', '/', '=', '\\', ...) has A as its
// registrable domain, unless the list has a wildcard rule under A (checked
// once per anchor): no rule can name that label, so no longer suffix of the
// name is public. Tunnel names (base64, escapes) take this path; other
// names take the full walk, but for one more case: a listable label just
// above A (a tunnel's label may be all letters and digits) under a label
// holding such a byte, settled by two public-suffix lookups of the short
// name (split_above). Exact; bounded (4096 anchors).
class DomainSplitCache {
 public:
  // The split of a name already in normalize_domain's form.
  DomainSplit locate(std::string_view normalized);
  // split_domain(name) through the cache; valid until the next call.
  const DomainParts& split(std::string_view name);

 private:
  struct Anchor {
    uint64_t hash = 0;  // 0: empty
    std::string name;
    bool wildcard_below = false;  // "*.name" is a rule: the shortcut does not hold
  };
  static constexpr size_t kAnchors = 4096;
  static std::optional<DomainSplit> split_above(std::string_view n, size_t anchor, size_t label_at, size_t at);
  std::vector<Anchor> anchors_;  // direct-mapped by hash, made at the first walk
  DomainParts parts_;
};

struct LabelledDomain {
  std::string domain;
  bool dga = false;
  std::string family;  // when known
};

struct DgaEvaluation {
  size_t dga = 0, benign = 0, detected = 0, false_positives = 0;
  double detection_rate() const { return dga ? double(detected) / dga : 0; }
  double false_positive_rate() const { return benign ? double(false_positives) / benign : 0; }
};

// An array of a model: its own (trained, or read from JSON), or a view of a
// loaded binary model file, which the model keeps mapped (DgaModel::backing_):
// copies of a model share the view.
template <typename T>
class ModelArray {
 public:
  ModelArray() = default;
  explicit ModelArray(std::vector<T> values) : owned_(std::move(values)) {}
  static ModelArray view(const T* data, size_t size) {
    ModelArray a;
    a.view_ = data;
    a.view_size_ = size;
    return a;
  }
  // The array to fill (training): an owned one, the view dropped.
  std::vector<T>& owned() {
    view_ = nullptr;
    view_size_ = 0;
    return owned_;
  }
  const T* data() const { return view_ ? view_ : owned_.data(); }
  size_t size() const { return view_ ? view_size_ : owned_.size(); }
  bool empty() const { return size() == 0; }
  const T& operator[](size_t i) const { return data()[i]; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }

 private:
  std::vector<T> owned_;
  const T* view_ = nullptr;
  size_t view_size_ = 0;
};

// Gradient-boosted regression trees over a dense feature vector (stage 2),
// kept as complete binary trees of one depth, level by level: split k's
// children are 2k+1 and 2k+2, and the 2^depth slots below the last level of
// splits are leaves. A leaf grown above the last level fills every slot
// under it (the splits between lead to it whichever way they go), so a walk
// is `depth` steps with no leaf test: no branch to mispredict, and the
// walks of successive trees overlap. The shipped model's trees take a third
// of the bytes of the nodes they were grown as.
struct DgaTrees {
  // A tree as grown (training) or listed (the JSON export): every child after its parent.
  struct Node {
    int32_t feature = -1;  // -1: a leaf
    float threshold = 0;   // x[feature] <= threshold goes left
    int32_t left = 0, right = 0;
    float value = 0;       // leaf output
  };
  static constexpr uint32_t kMaxDepth = 12;
  uint32_t depth = 0;
  ModelArray<float> thresholds;  // [tree][2^depth - 1]: x[feature] <= threshold goes left
  ModelArray<uint8_t> features;  // [tree][2^depth - 1]
  ModelArray<float> leaves;      // [tree][2^depth]
  float base = 0;
  // The complete form of trees given as checked nodes (each root a tree's
  // first node), as deep as the deepest leaf; throws std::length_error past
  // kMaxDepth levels or 2^24 leaves in all.
  static DgaTrees complete(const std::vector<Node>& nodes, const std::vector<int32_t>& roots, float base);
  size_t count() const { return leaves.size() >> depth; }
  double predict(const float* x) const;
};

class DgaModel {
 public:
  static constexpr uint32_t kBuckets = 1u << 19;
  static constexpr int kDense = 40;  // stage-2 features
  DgaModel();
  // Probability-like score in [0,1] that the name is algorithmically generated.
  double score(std::string_view domain) const;
  double score_label(std::string_view label, std::string_view suffix) const;
  double threshold() const { return threshold_; }
  void set_threshold(double t) { threshold_ = t; }
  bool trained() const { return trained_; }

  struct TrainOptions {
    int epochs = 10;
    double learning_rate = 0.05;
    double l2 = 1e-7;
    double target_fp = 0.0095;  // threshold chosen for this false-positive rate on out-of-fold benign scores
    uint64_t seed = 42;
    int folds = 5;              // first-stage models for the trees' out-of-fold inputs, tree sets for the threshold's
    int trees = 400;
    int depth = 6;  // at most DgaTrees::kMaxDepth
    double tree_learning_rate = 0.1;
    // A word list (parse_word_list) for the dictionary segmentation; empty: none.
    std::vector<std::string> dictionary;
  };
  // Trains from scratch; returns the chosen threshold. `validation`, when
  // given, receives the rates of the out-of-fold scores the threshold came from.
  double train(const std::vector<LabelledDomain>& data, const TrainOptions& options, DgaEvaluation* validation = nullptr);

  // JSON text with quantised weights (base64), and back. Loaders throw
  // DataError naming the source and the field or byte offset at fault.
  std::string to_json() const;
  static DgaModel from_json(const std::string& text, const std::string& source_name);
  // The binary model file: magic "OPSKDGA" + version, then little-endian
  // fields, every count and offset bounds-checked when read; its tables are
  // views of the bytes (copied once by from_binary, mapped by load).
  std::string to_binary() const;
  static DgaModel from_binary(std::string_view data, const std::string& source_name);
  static bool is_binary(std::string_view data);
  // A word list (one word per line, e.g. /usr/share/dict/words): the
  // lower-cased a-z words of 3-20 letters, sorted and unique; other lines skipped.
  static std::vector<std::string> parse_word_list(std::string_view text);
  // Either format, told apart by the magic.
  static DgaModel parse(std::string_view data, const std::string& source_name);
  static DgaModel load(const std::string& path);
  // OPSKIT_DGA_MODEL, else the first that exists of: <exe dir>/../share/opskit/
  // dga_model.bin (any install prefix), lib/net/data/dga_model.bin in the
  // source tree, /usr/local/share/opskit, /usr/share/opskit, and in each
  // place dga_model.json when there is no .bin; empty when none.
  static std::string default_path();

 private:
  struct Word {
    float log_p = 0;   // unigram log probability (segmentation)
    float dga_odds = 0;  // log odds of appearing in a DGA rather than a benign label
  };
  struct Example;
  // A generator's (or the benign names') habits: character trigrams, label
  // lengths and suffixes, stored as counts; log probabilities derived.
  struct Family {
    std::string name;
    std::vector<std::pair<uint32_t, uint32_t>> trigrams;  // table index, count (sparse, sorted, each once)
    std::vector<uint32_t> lengths;                        // labels per length (last: longer)
    std::vector<std::pair<std::string, uint32_t>> suffixes;
  };
  // The families' counts as a binary model file stores them, and back.
  static std::string encode_families(const std::vector<Family>& families);
  static std::vector<Family> decode_families(std::string_view raw);
  // Log probabilities derived from the families' counts, every family side
  // by side (a label's lookups for all the families are adjacent): built
  // when the first name is scored (a run that scores no name never pays for
  // them) or read in place from a binary model file; shared by copies of the
  // model, whose counts are the same.
  struct FamilyTables {
    size_t families = 0;
    ModelArray<float> chars;                             // [trigram][family]
    ModelArray<float> lengths;                           // [length bin][family]
    std::vector<std::string> suffixes;                   // every suffix a family saw, sorted
    std::unordered_map<uint64_t, uint32_t> suffix_rows;  // hash of a suffix -> its row
    ModelArray<float> suffix_lp;                         // [row][family]; the last row: a suffix no family saw
  };
  struct FamilyModels {
    std::once_flag once;
    FamilyTables tables;
  };
  std::shared_ptr<FamilyModels> family_models_ = std::make_shared<FamilyModels>();
  const FamilyTables& family_tables() const;
  static FamilyTables prepare_families(const std::vector<Family>& families);
  void fit_families(const std::vector<Example>& examples, const std::vector<size_t>& rows);
  // Log likelihoods of the label under every family: characters only, and
  // with length and suffix (`chars` and `all` hold t.families each).
  static void family_log_likelihoods(const FamilyTables& t, std::string_view label, std::string_view suffix, double* chars,
                                     double* all);
  static DgaModel parse_model(const std::string& text, const std::string& source_name);
  static DgaModel from_binary_backed(std::string_view data, const std::string& source_name, std::shared_ptr<const void> backing);
  // Hashed first-stage features, and the dense statistics (all but the logit, x[0]).
  void features(std::string_view label, std::string_view suffix, std::vector<uint32_t>& out, float* dense) const;
  double raw(const std::vector<uint32_t>& f) const;
  // Splits a label into vocabulary words (unigram model, Viterbi): the
  // words, how many characters no word covers, the path's log probability.
  void segment(std::string_view label, std::vector<std::string_view>& words, size_t& uncovered, float& cost) const;
  // Vocabulary, character models and suffix odds from training labels, then the logistic weights.
  void fit_stage1(const std::vector<Example>& examples, const std::vector<size_t>& rows, const TrainOptions& o,
                  uint64_t seed);
  // `sorted`: the words come in order already (a model file), no sort needed.
  void set_vocabulary(std::vector<std::tuple<std::string, uint32_t, uint32_t>> words, bool sorted = false);
  // The dictionary words: each with the benign and DGA training labels whose
  // dictionary segmentation used it.
  void set_dictionary(std::vector<std::tuple<std::string, uint32_t, uint32_t>> words, bool sorted = false);
  // Splits a label into dictionary words, covering as many letters as it can
  // with as few words as it can; `covered` counts the letters covered.
  void dict_segment(std::string_view label, std::vector<std::string_view>& words, size_t& covered) const;
  void fit_dictionary(const std::vector<std::string>& list, const std::vector<Example>& examples,
                      const std::vector<size_t>& rows);
  // Checks trees as listed in the JSON export (children after parents, features in range).
  static void check_nodes(const std::vector<DgaTrees::Node>& nodes, const std::vector<int32_t>& roots, const std::string& source);
  double char_log_likelihood(const ModelArray<float>& model, std::string_view label) const;
  ModelArray<float> w_;
  float bias_ = 0;
  std::vector<std::tuple<std::string, uint32_t, uint32_t>> words_;  // vocabulary: word, benign and DGA labels holding it
  // Hash of a word -> its statistics: open addressing, linear probing.
  struct WordTable {
    struct Slot {
      uint64_t key = 0;  // 0: empty
      Word word;
    };
    ModelArray<Slot> slots;  // a power of two, with at least one empty slot
    int shift = 60;
    void fill(const std::vector<uint64_t>& keys, const std::vector<Word>& words);
    const Word* find(uint64_t key) const;
    void prefetch(uint64_t key) const;  // the slot find(key) starts at
    // Fibonacci hashing: the slot a key's probe starts at, from the high product bits (0 stands for 1: 0 marks an empty slot).
    size_t home(uint64_t key) const { return ((key | (key == 0)) * 0x9E3779B97F4A7C15ull) >> shift; }
    bool empty() const { return slots.empty(); }
  };
  static void fill_word_table(WordTable& table, const std::vector<std::tuple<std::string, uint32_t, uint32_t>>& words,
                              double (*log_freq)(uint64_t), double log_total, double log_nb, double log_nd);
  // What a loaded binary model's views point into (the mapped file or a copy).
  std::shared_ptr<const void> backing_;
  // A loaded binary model's word lists and family counts (for export), as
  // stored: decoded, and checked, only when the model is written out again.
  std::string_view vocab_words_raw_, dict_words_raw_, family_counts_raw_;
  WordTable vocab_;
  uint32_t vocab_benign_ = 0, vocab_dga_ = 0;                        // labels the counts come from
  ModelArray<float> chars_benign_, chars_dga_;                       // log P(c | two before), 38^3
  std::vector<std::pair<std::string, float>> suffixes_;              // DGA log odds of a public suffix
  std::unordered_map<uint64_t, float> suffix_odds_;                  // the same, by hash of the suffix
  std::vector<Family> families_;  // [0]: benign (empty in a loaded binary model: family_counts_raw_)
  // Dictionary words (log_p: log share of segmentation words, dga_odds), the
  // labels their counts come from, and hashes of adjacent word pairs seen in
  // benign training labels (sorted).
  std::vector<std::tuple<std::string, uint32_t, uint32_t>> dict_;
  WordTable dict_table_;
  uint32_t dict_benign_ = 0, dict_dga_ = 0;
  ModelArray<uint64_t> benign_pairs_;
  DgaTrees trees_;
  double threshold_ = 0.5;
  bool trained_ = false;
};

// Reads the labelled lists of ../shared/data/domains (or a folder with the
// same file names). `held_out` receives half of the nDPI test pair (chosen
// by a hash of the name), `train` everything else with any name also in
// held_out removed. The OpenDNS lists are not used: they hold real DGA names.
void load_domain_lists(const std::string& dir, std::vector<LabelledDomain>& train, std::vector<LabelledDomain>& held_out);

DgaEvaluation evaluate(const DgaModel& model, const std::vector<LabelledDomain>& data);

}  // namespace opskit::net
