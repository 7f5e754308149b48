// The DGA model: the shipped model against the goal on the held-out
// lists, training and the model file's round trip, and damaged model files.
#include <catch2/catch.hpp>

#include <fstream>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"
#include "net/dga.hpp"
#include "test_paths.hpp"

using namespace opskit::net;

namespace {

std::string shipped_model() { return opskit::test::source_dir() + "/lib/net/data/dga_model.json"; }

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

}  // namespace

// The goal is >= 95% at <= 1%; opskit-dga-3 reaches 93.6% at 0.96%,
// so this guards the level reached (and the false-positive bound) against regressions.
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
  CHECK(e.detection_rate() >= 0.93);
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
  DgaModel m;
  double t = m.train(some, o);
  CHECK(t >= 0.5);
  CHECK(t < 1);
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
}

TEST_CASE("dga: training needs both classes", "[net][dga]") {
  DgaModel m;
  std::vector<LabelledDomain> only_dga = {{"xkqzjw.com", true, ""}, {"qpzkvb.net", true, ""}};
  CHECK_THROWS_AS(m.train(only_dga, DgaModel::TrainOptions{}), opskit::DataError);
}

TEST_CASE("dga: damaged model files are refused with the field named", "[net][dga]") {
  std::string good = opskit::text::read_file(shipped_model());
  nlohmann::json j = nlohmann::json::parse(good);
  auto refused = [](const nlohmann::json& doc, const std::string& field) {
    try {
      DgaModel::from_json(doc.dump(), "model.json");
      FAIL("accepted a damaged model (" << field << ")");
    } catch (const opskit::DataError& e) {
      std::string what = e.what();
      INFO(what);
      CHECK(what.find("model.json") != std::string::npos);
      CHECK(what.find(field) != std::string::npos);
    }
  };
  CHECK_NOTHROW(DgaModel::from_json(good, "model.json"));
  auto d = j;
  d["format"] = "opskit-dga-2";
  refused(d, "format");
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
