#pragma once
// DGA scoring: a logistic model over hashed character n-grams (1-5), n-grams
// of the consonant/vowel/digit shape, the words the label splits into (a
// vocabulary learnt from the benign training names, so word-list families
// such as matsnu and suppobox are judged on their words) and a few shape
// statistics (length, digits, vowels, entropy, consonant runs) of the
// registrable label (the label left of the public suffix, found with
// libpsl), so "x7fk2q.ddns.net" is judged on "x7fk2q". The model is a data
// file the tool ships (lib/net/data/dga_model.json) and can retrain from
// labelled lists with `capture model train`.
#include <cstdint>
#include <string>
#include <string_view>
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

// split_domain memoised per name in a small direct-mapped table: resolvers
// see the same names over and over, and the public-suffix walk is the
// dearest step of a DNS message. A name not in the table is split through
// its parent (the name less its first label): libpsl walks a name from the
// left, so when the parent has a listed registrable domain and the name
// itself is not a public suffix, the name has the same registrable domain;
// one public-suffix check replaces the walk for the unique names of a
// tunnel. Bounded (8192 entries), exact.
class DomainSplitCache {
 public:
  const DomainParts& split(std::string_view name);

 private:
  struct Entry {
    uint64_t hash = 0;
    std::string name;
    DomainParts parts;
  };
  std::vector<Entry> entries_ = std::vector<Entry>(8192);
};

struct LabelledDomain {
  std::string domain;
  bool dga = false;
  std::string family;  // when known
};

class DgaModel {
 public:
  static constexpr uint32_t kBuckets = 1u << 19;
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
    double target_fp = 0.009;  // threshold chosen for this false-positive rate on held-out benign names
    uint64_t seed = 42;
  };
  // Trains from scratch; returns the chosen threshold.
  double train(const std::vector<LabelledDomain>& data, const TrainOptions& options);

  // JSON text with quantised weights (base64), and back. load throws DataError.
  std::string to_json() const;
  static DgaModel from_json(const std::string& text, const std::string& source_name);
  static DgaModel load(const std::string& path);
  // OPSKIT_DGA_MODEL, else the first that exists of: <exe dir>/../share/opskit/
  // dga_model.json (any install prefix), lib/net/data/dga_model.json in the
  // source tree, /usr/local/share/opskit, /usr/share/opskit; empty when none.
  static std::string default_path();

 private:
  void features(std::string_view label, std::string_view suffix, std::vector<uint32_t>& out) const;
  double raw(const std::vector<uint32_t>& f) const;
  // Splits a label into vocabulary words (unigram model, Viterbi): the
  // words and how many characters no word covers.
  void segment(std::string_view label, std::vector<std::string_view>& words, size_t& uncovered) const;
  void build_vocabulary(const std::vector<std::string>& benign_labels);
  void set_vocabulary(std::vector<std::pair<std::string, uint32_t>> words);
  std::vector<float> w_;
  std::vector<std::pair<std::string, uint32_t>> words_;  // vocabulary: word, benign labels holding it
  std::unordered_map<uint64_t, float> vocab_;           // hash of a word -> log probability
  float bias_ = 0;
  double threshold_ = 0.5;
  bool trained_ = false;
};

// Reads the labelled lists of ../shared/data/domains (or a folder with the
// same file names). `held_out` receives half of the nDPI test pair (chosen
// by a hash of the name), `train` everything else with any name also in
// held_out removed. The OpenDNS lists are not used: they hold real DGA names.
void load_domain_lists(const std::string& dir, std::vector<LabelledDomain>& train, std::vector<LabelledDomain>& held_out);

struct DgaEvaluation {
  size_t dga = 0, benign = 0, detected = 0, false_positives = 0;
  double detection_rate() const { return dga ? double(detected) / dga : 0; }
  double false_positive_rate() const { return benign ? double(false_positives) / benign : 0; }
};
DgaEvaluation evaluate(const DgaModel& model, const std::vector<LabelledDomain>& data);

}  // namespace opskit::net
