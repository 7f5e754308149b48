// The capture executable end to end: example capture, file analysis into a
// SQLite database (idempotent), formats, exit codes, live without privilege.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_paths.hpp"

using opskit::test::run_command;

namespace {
std::string cap() { return opskit::test::bin("capture"); }
}  // namespace

TEST_CASE("cli: example capture analysed into the database, rerun idempotent", "[net][cli]") {
  std::string dir = opskit::test::temp_dir("net_cli");
  std::string db = " --db " + dir + "/t.db --tenant acme --now 2026-01-05T12:00:00Z";
  REQUIRE(run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q db migrate").exit_code == 0);
  REQUIRE(run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q tenant add acme --name Acme").exit_code == 0);
  auto gen = run_command(cap() + " example " + dir + "/office.pcap -q");
  REQUIRE(gen.exit_code == 0);
  auto r = run_command(cap() + " file " + dir + "/office.pcap --format json --records all -q" + db);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, int> kinds;
  std::istringstream in(r.out);
  std::string line;
  nlohmann::json summary;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    kinds[j["_path"]]++;
    if (j["_path"] == "summary") summary = j;
  }
  CHECK(kinds["dns"] == 122);
  CHECK(kinds["conn"] > 100);
  CHECK(kinds["alert"] >= 3);
  CHECK(summary["packets"] == 946);
  auto again = run_command(cap() + " file " + dir + "/office.pcap -q --fail-on high" + db);
  CHECK(again.exit_code == 1);  // findings at or above high
  auto alerts = run_command(cap() + " alerts --format json -q" + db);
  REQUIRE(alerts.exit_code == 0);
  CHECK(std::count(alerts.out.begin(), alerts.out.end(), '\n') == kinds["alert"]);
  auto devices = run_command(cap() + " devices --format csv -q" + db);
  CHECK(devices.out.find("finance-laptop-7") != std::string::npos);
  auto allow = run_command(cap() + " allow add '*.exfil-tunnel.example' --note 'lab' -q" + db);
  CHECK(allow.exit_code == 0);
  auto open = run_command(cap() + " alerts --format json -q" + db);
  CHECK(open.out.find("exfil-tunnel.example") == std::string::npos);
}

TEST_CASE("cli: bad input and usage errors map to their exit codes", "[net][cli]") {
  std::string dir = opskit::test::temp_dir("net_cli2");
  std::string db = " --db " + dir + "/t.db --tenant acme";
  run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q db migrate");
  run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q tenant add acme --name Acme");
  auto bad = run_command("printf 'not a capture' > " + dir + "/x.pcap && " + cap() + " file " + dir + "/x.pcap -q" + db);
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.find("x.pcap") != std::string::npos);
  CHECK(run_command(cap() + " file --records nope " + dir + "/x.pcap -q" + db).exit_code == 2);
  auto ind = run_command("printf 'kind,value\\ndomain,ok.example\\nip,300.1.1.1\\n' > " + dir + "/i.csv && " + cap() +
                         " indicators import " + dir + "/i.csv -q" + db);
  CHECK(ind.exit_code == 3);
  CHECK(ind.err.find("i.csv:3") != std::string::npos);
  CHECK(run_command(cap() + " live -i no-such-interface0 --count 1 -q" + db).exit_code == 2);
  // Without CAP_NET_RAW (when capsh can drop it), live capture says so and exits 2.
  if (run_command("command -v capsh").exit_code == 0) {
    auto r = run_command("capsh --drop=cap_net_raw,cap_net_admin -- -c '" + cap() + " live -i lo --count 1 -q" + db + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("CAP_NET_RAW") != std::string::npos);
  }
}

TEST_CASE("cli: the DGA model is found relative to the executable (any install prefix)", "[net][cli]") {
  std::string dir = opskit::test::temp_dir("net_prefix");
  // A copy of the binary under PREFIX/bin finds PREFIX/share/opskit/dga_model.json:
  // a damaged model there is reported by its path, so the lookup is observable.
  REQUIRE(run_command("mkdir -p " + dir + "/p/bin " + dir + "/p/share/opskit && cp " + cap() + " " + dir +
                      "/p/bin/capture && printf '{}' > " + dir + "/p/share/opskit/dga_model.json").exit_code == 0);
  auto r = run_command("env -u OPSKIT_DGA_MODEL " + dir + "/p/bin/capture model score example.com -q");
  CHECK(r.exit_code == 3);
  CHECK(r.err.find(dir + "/p/share/opskit/dga_model.json") != std::string::npos);
  // With a good model there, scoring works from the copied binary.
  REQUIRE(run_command("cp " + opskit::test::source_dir() + "/lib/net/data/dga_model.json " + dir +
                      "/p/share/opskit/dga_model.json").exit_code == 0);
  auto ok = run_command("env -u OPSKIT_DGA_MODEL " + dir + "/p/bin/capture model score example.com --format json -q");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("example.com") != std::string::npos);
}
