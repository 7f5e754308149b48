// scan-endpoint as users run it, and the repository on both backends.
#include <catch2/catch.hpp>

#include <fstream>

#include "pg_harness.hpp"
#include "scan/repository.hpp"
#include "store/store.hpp"
#include "test_paths.hpp"

using namespace opskit;
using opskit::test::run_command;

namespace {

std::string write_file(const std::string& dir, const std::string& name, const std::string& content) {
  std::string p = dir + "/" + name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

// Both backends when the PostgreSQL fixture is up; SQLite alone when the
// harness cannot reach it (a direct run outside ctest).
std::vector<std::string> scan_backends() {
  try {
    return test::backend_urls();
  } catch (const std::exception&) {
    std::string p = "sqlite:" + test::temp_dir("scan-repo") + "/r.db";
    store::Database::open(p)->migrate();
    return {p};
  }
}

std::string tool() { return "TZ=UTC LC_ALL=C " + test::bin("scan-endpoint"); }

}  // namespace

TEST_CASE("grade FILE: text, gates, junit, bad input", "[scan][cli]") {
  std::string dir = test::temp_dir("scan-cli");
  std::string bare = write_file(dir, "bare.txt", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html></html>");
  auto r = run_command(tool() + " grade " + bare);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("grade: D  score: 30") != std::string::npos);
  CHECK(r.out.find("csp-not-implemented") != std::string::npos);

  auto gated = run_command(tool() + " grade " + bare + " --min-grade B");
  CHECK(gated.exit_code == 1);
  auto high = run_command(tool() + " grade " + bare + " --fail-on high");
  CHECK(high.exit_code == 0);  // the worst finding of a bare page is medium
  auto junit = run_command(tool() + " grade " + bare + " --format junit --min-grade B");
  CHECK(junit.out.find("<failure message=\"grade D below B\"") != std::string::npos);
  auto json = run_command(tool() + " grade " + bare + " --format json");
  CHECK(json.out.find("\"grade\":\"D\"") != std::string::npos);
  auto pci = run_command(tool() + " grade " + bare + " --profile hipaa");
  CHECK(pci.out.find("profile hipaa:") != std::string::npos);
  CHECK(pci.out.find("x-frame-options") == std::string::npos);  // not a HIPAA control

  std::string bad = write_file(dir, "bad.txt", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n");
  auto b = run_command(tool() + " grade " + bad);
  CHECK(b.exit_code == 3);
  CHECK(b.err.find("bad.txt:2") != std::string::npos);
  auto missing = run_command(tool() + " grade " + dir + "/nope.txt");
  CHECK(missing.exit_code == 3);
  auto usage = run_command(tool() + " grade " + bare + " --format yaml");
  CHECK(usage.exit_code == 2);
}

TEST_CASE("url: allow-list, unreachable targets, stored results", "[scan][cli]") {
  std::string dir = test::temp_dir("scan-url");
  std::string db_path = dir + "/t.db";
  {
    auto db = store::Database::open(db_path);
    db->migrate();
    db->add_tenant("acme", "Acme");
  }
  std::string common = " --db " + db_path + " --tenant acme --now 2026-11-22T00:00:00Z";
  auto refused = run_command(tool() + " url https://closed.test:1/ --format json" + common);
  CHECK(refused.out.find("\"status\":\"refused\"") != std::string::npos);
  CHECK(refused.exit_code == 3);  // nothing was allowed to be scanned
  CHECK(run_command(tool() + " allow add closed.test" + common).exit_code == 0);
  auto list = run_command(tool() + " allow list" + common);
  CHECK(list.out.find("closed.test") != std::string::npos);
  auto down = run_command(tool() + " url https://closed.test:1/ --resolve closed.test:1:127.0.0.1 --no-tls --format json" + common);
  CHECK(down.exit_code == 5);  // every target failed on the network
  CHECK(down.out.find("\"status\":\"error\"") != std::string::npos);
  auto issues = run_command(tool() + " issues list --format csv" + common);
  CHECK(issues.out.find("scan.error.connect") != std::string::npos);
  // The same scan again at the same --now: still one trend row.
  run_command(tool() + " url https://closed.test:1/ --resolve closed.test:1:127.0.0.1 --no-tls --format json" + common);
  auto history = run_command(tool() + " history --format csv" + common);
  CHECK(history.exit_code == 0);
  CHECK(history.out == "scanned_at,endpoint,kind,status,grade,score,tls_grade,open_issues\n"
                       "2026-11-22T00:00:00Z,https://closed.test:1/,web,error,,,,1\n");
}

TEST_CASE("repository: a rescan closes fixed issues and keeps their history", "[scan][repository]") {
  auto url = GENERATE(from_range(scan_backends()));
  auto db = store::Database::open(url);
  if (db->tenants().empty() || [&] {
        for (auto& t : db->tenants())
          if (t.id == "t1") return false;
        return true;
      }())
    db->add_tenant("t1", "T1");
  auto session = db->session("t1");
  scan::Repository repo(*session);
  scan::EndpointResult r;
  r.target = "https://shop.test/";
  r.host = "shop.test";
  r.port = 443;
  r.grade = "C";
  r.baseline_headers["server"] = "nginx";
  r.findings.push_back({"csp-not-implemented", scan::Severity::medium, "csp", "", {"SOC2 CC6.6"}});
  r.findings.push_back({"hsts-not-implemented", scan::Severity::medium, "hsts", "", {"SOC2 CC6.7"}});
  session->transaction([&] {
    CHECK(repo.diff_and_update_baseline(r, "2026-11-20T00:00:00Z").empty());
    auto o = repo.store_endpoint(r, "web", "2026-11-20T00:00:00Z", 1);
    CHECK(o.opened == 2);
  });
  // HSTS fixed, server header changed.
  r.findings.pop_back();
  r.baseline_headers["server"] = "nginx/1.22";
  session->transaction([&] {
    auto changes = repo.diff_and_update_baseline(r, "2026-11-21T00:00:00Z");
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].rule == "scan.baseline.header-changed.server");
    auto o = repo.store_endpoint(r, "web", "2026-11-21T00:00:00Z", 2);
    CHECK(o.closed == 1);
    CHECK(o.still_open == 1);
  });
  auto closed = repo.issues("closed", "");
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].rule == "hsts-not-implemented");
  CHECK(closed[0].closed_at == "2026-11-21T00:00:00Z");
  // It comes back: reopened, counted.
  r.findings.push_back({"hsts-not-implemented", scan::Severity::medium, "hsts", "", {"SOC2 CC6.7"}});
  session->transaction([&] { CHECK(repo.store_endpoint(r, "web", "2026-11-22T00:00:00Z", 3).reopened == 1); });
  auto open = repo.issues("open", "https://shop.test/");
  CHECK(open.size() == 2);
  auto history = repo.issue_history_rows("https://shop.test/");
  CHECK(history.size() == 4);  // opened x2, closed, reopened
  // Idempotent: the same scan again changes nothing.
  session->transaction([&] {
    auto o = repo.store_endpoint(r, "web", "2026-11-22T00:00:00Z", 3);
    CHECK(o.opened + o.closed + o.reopened == 0);
  });
  // Another tenant sees none of it.
  if (!test::is_postgres_url(url)) {
    db->add_tenant("t2", "T2");
    auto other = db->session("t2");
    scan::Repository repo2(*other);
    CHECK(repo2.issues("", "").empty());
  }
}

TEST_CASE("repository: one history row per endpoint per scan, reruns replace theirs", "[scan][repository][history]") {
  auto url = GENERATE(from_range(scan_backends()));
  auto db = store::Database::open(url);
  bool have = false;
  for (auto& t : db->tenants()) have = have || t.id == "h1";
  if (!have) db->add_tenant("h1", "H1");
  auto session = db->session("h1");
  scan::Repository repo(*session);
  scan::EndpointResult web;
  web.target = "https://trend.test/";
  web.host = "trend.test";
  web.port = 443;
  web.status = "ok";
  web.grade = "C";
  web.score = 50;
  web.tls = scan::TlsReport{};
  web.tls->grade = "B";
  web.findings.push_back({"csp-not-implemented", scan::Severity::medium, "csp", "", {}});
  web.findings.push_back({"hsts-not-implemented", scan::Severity::medium, "hsts", "", {}});
  scan::EndpointResult host;
  host.target = "host:web-1";
  host.host = "web-1";
  host.status = "ok";
  host.score = 61;
  host.grade = "C";
  host.findings.push_back({"scan.host.ssh.permit-root-login", scan::Severity::high, "ssh", "", {}});

  session->transaction([&] {
    repo.store_endpoint(web, "web", "2026-11-20T00:00:00Z", 1);
    repo.store_endpoint(host, "host", "2026-11-20T00:00:00Z", 1);
  });
  // Next day: HSTS fixed, grade up; the host hardened.
  web.findings.pop_back();
  web.grade = "B";
  web.score = 70;
  web.tls->grade = "A";
  host.findings.clear();
  host.score = 88;
  for (int rerun = 0; rerun < 2; ++rerun)  // the same --now twice
    session->transaction([&] {
      repo.store_endpoint(web, "web", "2026-11-21T00:00:00Z", 2 + rerun);
      repo.store_endpoint(host, "host", "2026-11-21T00:00:00Z", 2 + rerun);
    });
  // A failed scan is a point of the trend too, with no score.
  scan::EndpointResult down = web;
  down.status = "error";
  down.grade.clear();
  down.tls.reset();
  down.findings = {{"scan.error.connect", scan::Severity::high, "down", "", {}}};
  session->transaction([&] { repo.store_endpoint(down, "web", "2026-11-22T00:00:00Z", 4); });

  auto rows = repo.scan_history("https://trend.test/");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].scanned_at == "2026-11-20T00:00:00Z");
  CHECK(rows[0].kind == "web");
  CHECK(rows[0].grade == "C");
  CHECK(rows[0].score == 50);
  CHECK(rows[0].tls_grade == "B");
  CHECK(rows[0].open_issues == 2);
  CHECK(rows[1].grade == "B");
  CHECK(rows[1].score == 70);
  CHECK(rows[1].tls_grade == "A");
  CHECK(rows[1].open_issues == 1);
  CHECK(rows[1].run_id == 3);  // the rerun replaced its row
  CHECK(rows[2].status == "error");
  CHECK_FALSE(rows[2].score.has_value());
  CHECK(rows[2].grade.empty());
  CHECK(rows[2].open_issues == 2);  // a failed scan closes nothing: csp still open, plus the error

  auto hosts = repo.scan_history("host:web-1");
  REQUIRE(hosts.size() == 2);
  CHECK(hosts[0].kind == "host");
  CHECK(hosts[0].score == 61);
  CHECK(hosts[0].open_issues == 1);
  CHECK(hosts[1].score == 88);
  CHECK(hosts[1].open_issues == 0);
  CHECK(repo.scan_history("").size() == 5);
  // Rolled back with its endpoint: a failing transaction leaves no history row.
  try {
    session->transaction([&] {
      repo.store_endpoint(web, "web", "2026-11-23T00:00:00Z", 5);
      throw std::runtime_error("abort");
    });
  } catch (const std::runtime_error&) {
  }
  CHECK(repo.scan_history("https://trend.test/").size() == 3);
}
