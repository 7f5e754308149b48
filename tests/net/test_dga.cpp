// The DGA model: the shipped model against the goal on the held-out
// lists, training and the model file's round trip, and damaged model files.
#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <stdexcept>
#include <fstream>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"
#include "net/dga.hpp"
#include "test_paths.hpp"

using namespace opskit::net;

namespace {

std::string shipped_model() { return opskit::test::source_dir() + "/lib/net/data/dga_model.bin"; }

// A few dictionary words, enough for the small model's word features to exist.
std::vector<std::string> small_dictionary() {
  return DgaModel::parse_word_list(
      "apple\nbank\nbook\ncar\ncloud\nelectric\nflower\nhalf\nhome\nlend\nmade\nmail\nmarket\nnews\nonline\n"
      "power\nquiet\nshop\nstore\ntravel\nwatch\nweather\nworld\n");
}

// Offset of the trees' split features in a binary model: the u32 N such
// that N bytes, one feature per split, end the file.
size_t tree_features_offset(const std::string& bin) {
  for (size_t pos = bin.size() - 4; pos > 8; --pos) {
    uint32_t n = 0;
    std::memcpy(&n, bin.data() + pos, 4);
    if (pos + 4 + size_t(n) == bin.size()) return pos;
  }
  return 0;
}

// Names of a list file that training never saw (the full generator lists
// beside their 1000-name training samples).
std::vector<std::string> unseen_names(const std::string& list, const std::vector<LabelledDomain>& train, size_t limit) {
  std::unordered_set<std::string> seen;
  for (const auto& d : train) seen.insert(d.domain);
  std::vector<std::string> out;
  std::ifstream in(list);
  std::string line;
  while (out.size() < limit && std::getline(in, line)) {
    std::string d = normalize_domain(line);
    if (!d.empty() && !seen.count(d)) out.push_back(d);
  }
  return out;
}

// `load` must refuse its damaged model with an error naming the file and `what`.
template <class Load>
void expect_refused(Load&& load, const std::string& file, const std::string& what) {
  try {
    load();
    FAIL("accepted a damaged model (" << what << ")");
  } catch (const opskit::DataError& e) {
    std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(file) != std::string::npos);
    CHECK(msg.find(what) != std::string::npos);
  }
}
}  // namespace

// The goal: >= 95% at <= 1%. opskit-dga-5 reaches 95.1% at 0.90%
// (opskit-dga-4: 93.8% at 0.81%, opskit-dga-3: 93.6% at 0.96%).
TEST_CASE("dga: the shipped model on the held-out half of the nDPI lists", "[net][dga][shared]") {
  std::string dir = opskit::test::shared_data("domains");
  if (dir.empty()) {
    WARN("../shared/data/domains not found: skipping the held-out evaluation");
    return;
  }
  DgaModel model = DgaModel::load(shipped_model());
  std::vector<LabelledDomain> train, held;
  load_domain_lists(dir, train, held);
  REQUIRE(held.size() > 30000);
  // No held-out name is in the training lists.
  std::unordered_set<std::string> in_train;
  for (const auto& d : train) in_train.insert(d.domain);
  for (const auto& d : held) REQUIRE_FALSE(in_train.count(d.domain));
  DgaEvaluation e = evaluate(model, held);
  INFO("detection " << e.detection_rate() << " at " << e.false_positive_rate() << " false positives");
  CHECK(e.detection_rate() >= 0.95);
  CHECK(e.false_positive_rate() <= 0.01);
}

TEST_CASE("dga: word-list and other generators' names that training never saw", "[net][dga][shared]") {
  std::string dir = opskit::test::shared_data("domains");
  if (dir.empty()) {
    WARN("../shared/data/domains not found: skipping");
    return;
  }
  DgaModel model = DgaModel::load(shipped_model());
  std::vector<LabelledDomain> train, held;
  load_domain_lists(dir, train, held);
  for (const char* family : {"matsnu", "conficker", "cryptolocker"}) {
    auto names = unseen_names(dir + "/andrewaeva_dga/" + family + ".txt", train, 3000);
    REQUIRE(names.size() == 3000);
    size_t hit = 0;
    for (const auto& n : names) hit += model.score(n) >= model.threshold();
    double rate = double(hit) / double(names.size());
    INFO(family << ": " << rate);
    // conficker's 4-10 letter random names are the hardest of the three (82.9% with opskit-dga-3).
    CHECK(rate >= (std::string(family) == "conficker" ? 0.80 : 0.95));
  }
}

TEST_CASE("dga: training on real lists, and the model file round trip", "[net][dga][shared]") {
  std::string dir = opskit::test::shared_data("domains");
  if (dir.empty()) {
    WARN("../shared/data/domains not found: skipping");
    return;
  }
  std::vector<LabelledDomain> train, held;
  load_domain_lists(dir, train, held);
  // A small, quick model: every 5th training name, few trees.
  std::vector<LabelledDomain> some;
  for (size_t i = 0; i < train.size(); i += 5) some.push_back(train[i]);
  DgaModel::TrainOptions o;
  o.epochs = 4;
  o.trees = 40;
  o.depth = 5;
  o.dictionary = small_dictionary();
  DgaModel m;
  DgaEvaluation oof;
  double t = m.train(some, o, &oof);
  CHECK(t >= 0.5);
  CHECK(t < 1);
  // The threshold comes from out-of-fold scores of every training name: the
  // target share of benign names at or above it (the name at the quantile
  // counts too), most DGA names.
  CHECK(oof.dga + oof.benign == some.size());
  CHECK(oof.false_positive_rate() <= o.target_fp + 1.5 / double(oof.benign));
  CHECK(oof.detection_rate() >= 0.8);
  std::vector<LabelledDomain> sample;
  for (size_t i = 0; i < held.size(); i += 4) sample.push_back(held[i]);
  DgaEvaluation e = evaluate(m, sample);
  INFO("small model: detection " << e.detection_rate() << " at " << e.false_positive_rate());
  CHECK(e.detection_rate() >= 0.8);
  CHECK(e.false_positive_rate() <= 0.03);
  // Saved and loaded, the model scores exactly as trained.
  DgaModel back = DgaModel::from_json(m.to_json(), "mem");
  CHECK(back.threshold() == Approx(m.threshold()));
  for (size_t i = 0; i < sample.size(); i += 50) {
    INFO(sample[i].domain);
    CHECK(back.score(sample[i].domain) == Approx(m.score(sample[i].domain)).margin(1e-6));
  }
  CHECK(back.to_json() == m.to_json());
  // The binary file: the same scores, from memory and from a mapped file,
  // and written back byte for byte (also from a model read from JSON).
  std::string bin = m.to_binary();
  CHECK(DgaModel::is_binary(bin));
  CHECK(back.to_binary() == bin);
  DgaModel from_bin = DgaModel::from_binary(bin, "mem");
  std::string path = opskit::test::temp_dir("dga_bin") + "/model.bin";
  opskit::text::write_file_atomic(path, bin);
  DgaModel mapped = DgaModel::load(path);
  CHECK(mapped.threshold() == m.threshold());
  for (size_t i = 0; i < sample.size(); i += 50) {
    INFO(sample[i].domain);
    CHECK(from_bin.score(sample[i].domain) == Approx(m.score(sample[i].domain)).margin(1e-6));
    CHECK(mapped.score(sample[i].domain) == from_bin.score(sample[i].domain));
  }
  CHECK(from_bin.to_binary() == bin);
  CHECK(mapped.to_json() == m.to_json());
  DgaModel copy = mapped;  // copies share the mapped tables
  CHECK(copy.score("xjw3kq9vz0a.net") == mapped.score("xjw3kq9vz0a.net"));
  // Training is deterministic: the same data and options give the same bytes.
  DgaModel again;
  again.train(some, o);
  CHECK(again.to_binary() == bin);
}

TEST_CASE("dga: trees grown uneven are walked as complete trees", "[net][dga]") {
  // x[1] <= 0.5 ? 1.0 : (x[2] <= 2 ? 2.0 : 3.0)
  std::vector<DgaTrees::Node> nodes = {{1, 0.5f, 1, 2, 0}, {-1, 0, 0, 0, 1.0f}, {2, 2.0f, 3, 4, 0},
                                       {-1, 0, 0, 0, 2.0f}, {-1, 0, 0, 0, 3.0f}};
  DgaTrees t = DgaTrees::complete(nodes, {0, 1}, 0.25f);  // the second tree: the leaf 1.0 alone
  CHECK(t.depth == 2);
  CHECK(t.count() == 2);
  CHECK(t.leaves.size() == 8);
  float nan = std::numeric_limits<float>::quiet_NaN();
  auto predict = [&](float a, float b) {
    float x[3] = {0, a, b};
    return t.predict(x);
  };
  CHECK(predict(0.5f, 9) == 2.25);
  CHECK(predict(0.7f, 2) == 3.25);
  CHECK(predict(0.7f, 2.5f) == 4.25);
  CHECK(predict(nan, nan) == 4.25);  // NaN fails "<=": right, as a node walk goes
  // A chain of splits: as deep as the layout allows, and one deeper (refused).
  auto chain = [](int32_t splits) {
    std::vector<DgaTrees::Node> out;
    for (int32_t k = 0; k < splits; ++k) out.push_back({0, 1.0f, k + 1, k + 1, 0});
    out.push_back({});
    return out;
  };
  CHECK(DgaTrees::complete(chain(12), {0}, 0).depth == 12);
  CHECK_THROWS_AS(DgaTrees::complete(chain(13), {0}, 0), std::length_error);
}

TEST_CASE("dga: word lists", "[net][dga]") {
  auto w = DgaModel::parse_word_list("Zebra\napple\r\nit\nco-op\ncaf\xc3\xa9\napple\n  \nverylongwordmorethantwenty\nbook's\nbank\n");
  CHECK(w == std::vector<std::string>{"apple", "bank", "zebra"});
}

TEST_CASE("dga: training needs both classes", "[net][dga]") {
  DgaModel m;
  std::vector<LabelledDomain> only_dga = {{"xkqzjw.com", true, ""}, {"qpzkvb.net", true, ""}};
  CHECK_THROWS_AS(m.train(only_dga, DgaModel::TrainOptions{}), opskit::DataError);
}

TEST_CASE("dga: damaged model files are refused with the field named", "[net][dga]") {
  std::string good = DgaModel::load(shipped_model()).to_json();
  nlohmann::json j = nlohmann::json::parse(good);
  auto refused = [](const nlohmann::json& doc, const std::string& field) {
    expect_refused([&] { DgaModel::from_json(doc.dump(), "model.json"); }, "model.json", field);
  };
  CHECK_NOTHROW(DgaModel::from_json(good, "model.json"));
  auto d = j;
  d["format"] = "opskit-dga-3";
  refused(d, "format");
  d = j;
  d["dictionary"] = "Apple 1 2\n";
  refused(d, "dictionary");
  d = j;
  d["benign_pairs_u64le_base64"] = "AAAA";
  refused(d, "benign_pairs_u64le_base64");
  d = j;
  d["weights_int16le_base64"] = "AAAA";
  refused(d, "weights_int16le_base64");
  d = j;
  d["chars_dga_int16le_base64"] = "!!";
  refused(d, "chars_dga_int16le_base64");
  d = j;
  d["vocabulary"] = "word 1\n";
  refused(d, "vocabulary");
  d = j;
  d["vocabulary"] = 7;  // wrong type
  refused(d, "");
  d = j;
  d["suffix_odds"] = "com nan\n";
  refused(d, "suffix_odds");
  d = j;
  d["threshold"] = 1.5;
  refused(d, "threshold");
  // A tree node pointing back at itself would loop forever: refused.
  d = j;
  d["trees"]["nodes"] = "0 1.5 0 1 0\n-1 0 0 0 0.5\n";
  refused(d, "trees");
  d = j;
  d["trees"]["nodes"] = "0 1.5 1 7 0\n-1 0 0 0 0.5\n";
  refused(d, "trees");
  d = j;
  d["trees"]["nodes"] = "99 1.5 1 2 0\n-1 0 0 0 0.5\n-1 0 0 0 0.5\n";
  refused(d, "trees");
  d = j;
  d["trees"]["roots"] = {5000000};
  refused(d, "trees");
  d = j;
  d["trees"]["dense_features"] = 3;
  refused(d, "trees");
  refused(nlohmann::json::array(), "format");
  CHECK_THROWS_AS(DgaModel::from_json("{not json", "model.json"), opskit::DataError);
}

TEST_CASE("dga: damaged binary model files are refused with the section named", "[net][dga]") {
  std::string good = opskit::text::read_file(shipped_model());
  REQUIRE(DgaModel::is_binary(good));
  auto refused = [](const std::string& bytes, const std::string& what) {
    expect_refused([&] { DgaModel::from_binary(bytes, "model.bin"); }, "model.bin", what);
  };
  CHECK_NOTHROW(DgaModel::from_binary(good, "model.bin"));
  refused("", "no OPSKDGA magic");
  refused("{\"format\": 1}", "no OPSKDGA magic");
  // Cut anywhere: refused, never read past the end.
  for (size_t cut : {size_t(8), size_t(13), size_t(30), size_t(5000), good.size() / 3, good.size() / 2, good.size() - 1})
    refused(good.substr(0, cut), "truncated");
  refused(good + "x", "trailing bytes");
  std::string d = good;
  d[8] = 9;  // version
  refused(d, "format version 9");
  d = good;
  d[12] = 3;  // dense feature count
  refused(d, "features");
  // Trees: a split on a feature past the dense ones would read past them;
  // arrays that do not make trees of the stated depth would be walked past their end.
  size_t features_at = tree_features_offset(good);
  REQUIRE(features_at > 0);
  uint32_t splits = 0;
  std::memcpy(&splits, &good[features_at], 4);
  CHECK(splits == 400 * 63);  // 400 trees of depth 6
  d = good;
  d.back() = static_cast<char>(DgaModel::kDense);
  refused(d, "feature out of range");
  d = good;
  splits -= 63;
  std::memcpy(&d[features_at], &splits, 4);
  d.resize(d.size() - 63);
  refused(d, "do not make trees of depth 6");
  // The vocabulary's hash table, after the weights (u32 count at byte 32,
  // floats from 36) and the vocabulary's label counts and word list (u64
  // length + bytes): a size that is not a power of two would break probing.
  size_t words_at = 36 + 4 * size_t(DgaModel::kBuckets) + 8;
  uint64_t words_len = 0;
  std::memcpy(&words_len, &good[words_at], 8);
  REQUIRE(words_at + 8 + words_len + 4 < good.size());
  d = good;
  uint32_t odd = 1000;
  std::memcpy(&d[words_at + 8 + words_len], &odd, 4);
  refused(d, "not a power of two");
  // Garbage after the magic and version.
  d = good.substr(0, 24) + std::string(200, '\xff');
  refused(d, "bad binary DGA model");
}
