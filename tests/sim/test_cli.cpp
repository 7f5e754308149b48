// The simulate executable: exit codes, messages, formats, stored runs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "test_paths.hpp"

using opskit::test::bin;
using opskit::test::run_command;
using opskit::test::source_dir;
using opskit::test::temp_dir;

namespace {
std::string write(const std::string& dir, const std::string& name, const std::string& text) {
  std::string p = dir + "/" + name;
  std::ofstream(p) << text;
  return p;
}
}  // namespace

TEST_CASE("cli: validate, errors with file:line:column, exit codes") {
  std::string dir = temp_dir("simcli");
  std::string sim = bin("simulate");
  auto ok = run_command(sim + " graph validate " + source_dir() + "/examples/simulate/graph.yaml --format csv");
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("repeat_visits") != std::string::npos);
  auto bad = write(dir, "bad.yaml", "metrics:\n  - {name: a, baseline: 1}\nedges:\n  - {cause: b, effect: a, coefficient: 1}\n");
  auto r = run_command(sim + " graph validate " + bad);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("bad.yaml:4:") != std::string::npos);
  auto loop = write(dir, "loop.yaml",
                    "metrics: [{name: a, baseline: 1}, {name: b, baseline: 1}]\n"
                    "edges: [{cause: a, effect: b, coefficient: 2, lag: 1}, {cause: b, effect: a, coefficient: 1, lag: 1}]\n");
  r = run_command(sim + " graph validate " + loop);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("unstable feedback loop a -> b -> a") != std::string::npos);
  r = run_command(sim + " graph validate");
  CHECK(r.exit_code == 2);
}

TEST_CASE("cli: run with a stored graph, formats, do vs shift, bfs, plan") {
  std::string dir = temp_dir("simrun");
  std::string db = dir + "/t.db";
  std::string ex = source_dir() + "/examples/simulate";
  REQUIRE(run_command(bin("opskit") + " --db " + db + " --quiet db migrate").exit_code == 0);
  REQUIRE(run_command(bin("opskit") + " --db " + db + " --quiet tenant add demo --name Demo").exit_code == 0);
  std::string sim = bin("simulate") + " --db " + db + " --tenant demo --now 2026-11-20T00:00:00Z --quiet";
  REQUIRE(run_command(sim + " graph import " + ex + "/graph.yaml").exit_code == 0);
  auto r = run_command(sim + " run --set price=+20% --horizon 10d --at 0 --format csv");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("metric,unit,baseline,day_0,day_10,steady,change,change_pct,method", 0) == 0);
  // Day 0, before the repeat-customer loop answers: revenue's elasticity to
  // price is 1 - 1.5 = -0.5 in log space, so 9600 * 1.2^-0.5.
  CHECK(r.out.find("revenue,EUR/day,9600,8763.56,") != std::string::npos);
  r = run_command(sim + " run --set pirce=+20%");
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("did you mean 'price'") != std::string::npos);
  r = run_command(sim + " run --set price=+20% --method bfs --format json");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("comparison only") != std::string::npos);
  r = run_command(sim + " run --set price=+20% --samples 200 --waterfall revenue --format json");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"p_up\"") != std::string::npos);
  CHECK(r.out.find("\"bar\":\"total\"") != std::string::npos);
  auto list = run_command(sim + " runs list --format csv");
  CHECK(std::count(list.out.begin(), list.out.end(), '\n') == 4);  // header + 3 stored runs
  r = run_command(sim + " --dry-run run --set price=+20%");
  CHECK(run_command(sim + " runs list --format csv").out == list.out);
  r = run_command(sim + " plan --budget 60000 --target revenue --initiatives " + ex + "/initiatives.yaml --format csv");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("optimal (GLPK") != std::string::npos);
  r = run_command(sim + " plan --budget -5 --target revenue --initiatives " + ex + "/initiatives.yaml");
  CHECK(r.exit_code == 2);
  r = run_command(sim + " plan --budget 1000 --target revenue --require one_click_pay --initiatives " + ex + "/initiatives.yaml");
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("no plan is feasible") != std::string::npos);
}
