// score-leads end to end: the built executables on generated fixtures.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "test_paths.hpp"

using namespace opskit;
using test::run_command;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

struct Fixture {
  std::string dir, db, spec, history, fresh, orders;
  std::string common() const { return " --db " + q(db) + " --tenant acme --now 2026-11-22T06:00:00Z "; }
  std::string tool() const { return "TZ=UTC LC_ALL=C " + q(test::bin("score-leads")) + " "; }
};

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A small labelled CSV: conversion depends on visits and source.
std::string leads_csv(int n, uint64_t seed, bool labelled) {
  std::mt19937_64 rng(seed);
  std::string out = "id,created,visits,source,optout,won\n";
  const char* sources[] = {"ads", "referral", "organic"};
  for (int i = 0; i < n; ++i) {
    int visits = int(rng() % 20);
    int src = int(rng() % 3);
    double z = -2.5 + 0.2 * visits + (src == 1 ? 1.2 : 0);
    bool won = double(rng() % 10000) / 10000 < 1 / (1 + std::exp(-z));
    char day[16];
    std::snprintf(day, sizeof day, "2026-%02d-%02d", 1 + i * 10 / n, 1 + i % 27);
    out += "L" + std::to_string(seed) + "-" + std::to_string(i) + "," + day + "," + std::to_string(visits) + "," +
           sources[src] + "," + (rng() % 4 ? "no" : "yes") + "," + (labelled ? (won ? "1" : "0") : "") + "\n";
  }
  return out;
}

Fixture make_fixture() {
  Fixture f;
  f.dir = test::temp_dir("leads-cli");
  f.db = f.dir + "/t.db";
  f.spec = f.dir + "/spec.yaml";
  f.history = f.dir + "/history.csv";
  f.fresh = f.dir + "/fresh.csv";
  f.orders = f.dir + "/orders.csv";
  write(f.spec,
        "name: cli\nid: id\ntarget: {column: won, positive: [\"1\"]}\ntime: created\nfeatures:\n"
        "  - {column: visits, type: numeric}\n  - {column: source, type: categorical}\n"
        "  - {column: optout, type: boolean}\n  - {column: created, type: timestamp}\n");
  write(f.history, leads_csv(600, 1, true));
  write(f.fresh, leads_csv(30, 2, false));
  std::string orders = "customer_id,order_date,amount\n";
  for (int c = 0; c < 40; ++c)
    for (int k = 0; k <= c % 5; ++k)
      orders += "C" + std::to_string(c) + ",2026-" + (c % 2 ? "10" : "03") + "-1" + std::to_string(k) + "," +
                std::to_string(10 + c * 7 + k) + ".50\n";
  write(f.orders, orders);
  auto r = run_command(q(test::bin("opskit")) + " db migrate --db " + q(f.db) + " && " + q(test::bin("opskit")) +
                       " tenant add acme --db " + q(f.db));
  REQUIRE(r.exit_code == 0);
  return f;
}

int64_t count(const Fixture& f, const std::string& sql) {
  auto db = store::Database::open(f.db);
  auto s = db->session("acme");
  auto v = s->scalar(sql);
  return v ? std::get<int64_t>(*v) : -1;
}

}  // namespace

TEST_CASE("score-leads: import, train, score, re-score idempotently, models", "[leads][cli]") {
  auto f = make_fixture();
  auto r = run_command(f.tool() + "import " + q(f.history) + " --spec " + q(f.spec) + f.common() + "--format json");
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)["imported"] == 600);
  CHECK(count(f, "SELECT COUNT(*) FROM leads WHERE tenant_id = $1") == 600);

  r = run_command(f.tool() + "train --spec " + q(f.spec) + " --promote --out " + q(f.dir + "/m.json") + f.common() +
                  "--format csv --trees 40");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("linear,cv,600") != std::string::npos);
  CHECK(r.out.find("gbdt,holdout,120") != std::string::npos);
  CHECK(count(f, "SELECT COUNT(*) FROM lead_models WHERE tenant_id = $1 AND promoted = 1") == 1);

  r = run_command(f.tool() + "score " + q(f.fresh) + f.common() + "--format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto first = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(first["score"].get<int>() >= 0);
  CHECK(first["score"].get<int>() <= 100);
  CHECK(first["reasons"].size() == 3);
  CHECK(count(f, "SELECT COUNT(*) FROM leads WHERE tenant_id = $1 AND score IS NOT NULL") == 30);

  // The stored leads not yet scored: the 600 imported ones; then nothing is left.
  r = run_command(f.tool() + "score" + f.common() + "--format csv --quiet");
  REQUIRE(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 601);
  r = run_command(f.tool() + "score" + f.common() + "--format csv --quiet");
  REQUIRE(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') <= 1);
  CHECK(count(f, "SELECT COUNT(*) FROM leads WHERE tenant_id = $1") == 630);
  CHECK(count(f, "SELECT COUNT(*) FROM leads WHERE tenant_id = $1 AND status = 'qualified'") > 0);
  // Every first score is history; re-scoring every lead with the same model adds none.
  CHECK(count(f, "SELECT COUNT(*) FROM lead_score_history WHERE tenant_id = $1") == 630);
  r = run_command(f.tool() + "score --all" + f.common() + "--format csv --quiet");
  REQUIRE(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 631);
  CHECK(count(f, "SELECT COUNT(*) FROM lead_score_history WHERE tenant_id = $1") == 630);
  CHECK(count(f, "SELECT COUNT(*) FROM lead_score_history WHERE tenant_id = $1 AND previous_score IS NOT NULL") == 0);

  // Sharding splits the work without overlap.
  auto s0 = run_command(f.tool() + "score --all --dry-run --shard 0/2" + f.common() + "--format csv --quiet");
  auto s1 = run_command(f.tool() + "score --all --dry-run --shard 1/2" + f.common() + "--format csv --quiet");
  CHECK(std::count(s0.out.begin(), s0.out.end(), '\n') + std::count(s1.out.begin(), s1.out.end(), '\n') == 632);

  r = run_command(f.tool() + "models list" + f.common() + "--format json");
  REQUIRE(r.exit_code == 0);
  auto row = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(row["promoted"] == "yes");
  r = run_command(f.tool() + "models show " + row["version"].get<std::string>() + f.common());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("cv.auc") != std::string::npos);

  r = run_command(f.tool() + "evaluate " + q(f.history) + " --model-file " + q(f.dir + "/m.json") + " --bins 4");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("calibration") != std::string::npos);
  CHECK(r.out.find("cumulative_gain") != std::string::npos);

  r = run_command(f.tool() + "segment " + q(f.orders) + " -k 3" + f.common() + "--format csv");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(count(f, "SELECT COUNT(*) FROM customer_segments WHERE tenant_id = $1") == 40);
}

TEST_CASE("score-leads: bad input is refused with its location and nothing is written", "[leads][cli]") {
  auto f = make_fixture();
  auto bad = f.dir + "/bad.csv";
  auto text = leads_csv(50, 3, true);
  auto pos = text.find('\n', text.find('\n', text.find('\n') + 1) + 1);  // end of line 3
  text.insert(pos + 1, "X1,2026-01-05,lots,ads,no,1\n");               // line 4
  write(bad, text);
  auto r = run_command(f.tool() + "import " + q(bad) + " --spec " + q(f.spec) + f.common());
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("bad.csv:4:") != std::string::npos);
  CHECK(r.err.find("visits") != std::string::npos);
  CHECK(count(f, "SELECT COUNT(*) FROM leads WHERE tenant_id = $1") == 0);

  auto missing = f.dir + "/missing.csv";
  write(missing, "id,created,visits,won\nA,2026-01-01,3,1\n");
  r = run_command(f.tool() + "train " + q(missing) + " --spec " + q(f.spec) + f.common());
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("source") != std::string::npos);

  auto one = f.dir + "/one.csv";
  auto all_zero = leads_csv(50, 4, true);
  for (size_t i = 0; (i = all_zero.find(",1\n", i)) != std::string::npos;) all_zero.replace(i, 3, ",0\n");
  write(one, all_zero);
  r = run_command(f.tool() + "train " + q(one) + " --spec " + q(f.spec) + f.common());
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("one class") != std::string::npos);

  // A model trained with another spec is refused for evaluation with this one.
  REQUIRE(run_command(f.tool() + "train " + q(f.history) + " --spec " + q(f.spec) + " --models linear --out " +
                      q(f.dir + "/m.json") + f.common() + "--dry-run --quiet")
              .exit_code == 0);
  auto other = f.dir + "/other.yaml";
  write(other, "name: other\nid: id\ntarget: won\nfeatures:\n  - {column: visits}\n");
  r = run_command(f.tool() + "evaluate " + q(f.history) + " --model-file " + q(f.dir + "/m.json") + " --spec " + q(other));
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("different spec") != std::string::npos);
  CHECK(count(f, "SELECT COUNT(*) FROM lead_models WHERE tenant_id = $1") == 0);

  r = run_command(f.tool() + "score --model nope" + f.common());
  CHECK(r.exit_code == 3);
  r = run_command(f.tool() + "train --spec " + q(f.spec) + " --select bogus" + f.common());
  CHECK(r.exit_code == 2);
}
