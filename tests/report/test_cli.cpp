// The built `report` executable: every kind in every format against golden
// files, bad input, --out, and the HTML opened in headless Chromium.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/text.hpp"
#include "fixture.hpp"
#include "tools_fixture.hpp"
#include "report/kinds.hpp"
#include "report/render.hpp"
#include "store/store.hpp"
#include "test_paths.hpp"

using namespace opskit;
namespace fs = std::filesystem;

namespace {

// The fixture database, built once per process (SQLite file, copied per case
// so one case's ledger rows never show in another's report).
const std::string& fixture_db() {
  static const std::string path = [] {
    std::string p = test::temp_dir("report-fixture") + "/fixture.db";
    store::Database::open(p)->migrate();
    report_test::filled_database(p);
    return p;
  }();
  return path;
}

std::string fresh_copy(const std::string& hint, const std::string& from = {}) {
  std::string p = test::temp_dir(hint) + "/case.db";
  fs::copy_file(from.empty() ? fixture_db() : from, p);
  return p;
}

// The database the real tools filled (see tools_fixture.hpp); empty with a
// warning when it could not be built, so the caller skips.
std::string tools_db() {
  const auto& t = report_test::tools_database();
  if (t.path.empty()) WARN("no database filled by the tools: " << t.error);
  return t.path;
}

std::string report_cmd(const std::string& db, const std::string& args) {
  return "TZ=UTC LC_ALL=C " + test::bin("report") + " --db " + db + " --tenant acme --now " + report_test::kNow + " " + args;
}

void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = test::source_dir() + "/tests/report/golden/" + name;
  const char* update = std::getenv("OPSKIT_GOLDEN_UPDATE");
  if (update && std::string(update) == "1") {
    text::write_file_atomic(path, actual);
    WARN("golden updated: " << path);
    return;
  }
  REQUIRE(fs::exists(path));
  const std::string expected = text::read_file(path);
  INFO("golden " << path << " differs; review and run `make golden-update` if intended");
  CHECK(actual == expected);
}

std::string subject_for(const std::string& kind) {
  if (kind == "kyc") return std::string(" ") + report_test::kToolsCustomer;
  if (kind == "simulation") return std::string(" ") + report_test::kToolsRun;
  return "";
}

}  // namespace

TEST_CASE("cli: every kind in every format, from the tools' own rows, matches its golden file") {
  const std::string tools = tools_db();
  REQUIRE_FALSE(tools.empty());
  for (const auto& k : report::kinds()) {
    for (const char* f : {"text", "json", "csv", "md", "html"}) {
      INFO(k.name << " " << f);
      const std::string db = fresh_copy("golden", tools);
      auto r = test::run_command(report_cmd(db, k.name + subject_for(k.name) + " --format " + f));
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      check_golden(k.name + "." + f, report_test::normalise_ports(r.out));
    }
  }
}

TEST_CASE("cli: hostile values stay inert in html, csv and text") {
  const std::string db = fresh_copy("hostile");
  auto html = test::run_command(report_cmd(db, "runs --format html"));
  REQUIRE(html.exit_code == 0);
  CHECK(html.out.find("<script") == std::string::npos);
  CHECK(html.out.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") != std::string::npos);
  auto csv = test::run_command(report_cmd(db, "runs --format csv --section failures"));
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.find(",\"'=HYPERLINK(") != std::string::npos);
  auto audit = test::run_command(report_cmd(db, "audit --format csv"));
  CHECK(audit.out.find(",=") == std::string::npos);
}

TEST_CASE("cli: bad input gets exit codes and messages that help") {
  const std::string db = fresh_copy("bad");
  auto unknown = test::run_command(report_cmd(db, "screenings"));
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("unknown report kind 'screenings'; known kinds: audit, kyc CUSTOMER, leads, lineage") != std::string::npos);
  auto no_customer = test::run_command(report_cmd(db, "kyc"));
  CHECK(no_customer.exit_code == 2);
  auto nobody = test::run_command(report_cmd(db, "kyc nobody"));
  CHECK(nobody.exit_code == 3);
  CHECK(nobody.err.find("'nobody' was never screened") != std::string::npos);
  auto no_run = test::run_command(report_cmd(db, "simulation 99"));
  CHECK(no_run.exit_code == 3);
  auto bad_since = test::run_command(report_cmd(db, "runs --since yesterday"));
  CHECK(bad_since.exit_code == 2);
  CHECK(bad_since.err.find("--since") != std::string::npos);
  auto bad_format = test::run_command(report_cmd(db, "runs --format docx"));
  CHECK(bad_format.exit_code == 2);

  const std::string dir = test::temp_dir("tpl");
  std::ofstream(dir + "/report.html.mustache") << "<p>\n{{#sections}}{{title}}\n";
  auto broken = test::run_command(report_cmd(db, "runs --format html --templates " + dir));
  CHECK(broken.exit_code == 3);
  CHECK(broken.err.find(dir + "/report.html.mustache:2:1") != std::string::npos);
  CHECK(broken.out.empty());
  auto check = test::run_command(test::bin("report") + " templates check --templates " + dir);
  CHECK(check.exit_code == 3);
  auto missing_dir = test::run_command(report_cmd(db, "runs --format md --templates " + dir + "/nope"));
  CHECK(missing_dir.exit_code == 3);
}

TEST_CASE("cli: --out writes the file atomically and records the report") {
  const std::string db = fresh_copy("out");
  const std::string out = test::temp_dir("out") + "/runs.html";
  auto r = test::run_command(report_cmd(db, "runs --format html --out " + out));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  const std::string html = text::read_file(out);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const auto& e : fs::directory_iterator(fs::path(out).parent_path())) CHECK(e.path().filename() == "runs.html");
  auto h = test::run_command(report_cmd(db, "history --format csv"));
  REQUIRE(h.exit_code == 0);
  CHECK(h.out.find(",runs,,html,2026-11-20T12:00:00Z," + out + "," + std::to_string(html.size()) + ",") != std::string::npos);
  auto dry = test::run_command(report_cmd(db, "runs --format json --dry-run"));
  CHECK(dry.exit_code == 0);
  auto h2 = test::run_command(report_cmd(db, "history --format json"));
  CHECK(std::count(h2.out.begin(), h2.out.end(), '\n') == 1);  // the dry run left no row
}

TEST_CASE("cli: an empty database says there is no data yet") {
  const std::string p = test::temp_dir("empty") + "/empty.db";
  {
    auto db = store::Database::open(p);
    db->migrate();
    db->add_tenant("acme", "Acme");
  }
  auto r = test::run_command(report_cmd(p, "audit --format text"));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("NOTE: No audit-log entries") != std::string::npos);
  auto s = test::run_command(report_cmd(p, "screening --format md"));
  CHECK(s.exit_code == 0);
  CHECK(s.out.find("No data yet for this report") != std::string::npos);
}

TEST_CASE("cli: kinds and templates commands") {
  auto k = test::run_command(test::bin("report") + " kinds --format csv");
  REQUIRE(k.exit_code == 0);
  CHECK(k.out.find("kyc,CUSTOMER,") != std::string::npos);
  auto c = test::run_command(test::bin("report") + " templates check");
  CHECK(c.exit_code == 0);
  const std::string dir = test::temp_dir("export");
  auto e = test::run_command(test::bin("report") + " templates export " + dir);
  CHECK(e.exit_code == 0);
  CHECK(fs::exists(dir + "/report.html.mustache"));
}

namespace {

const char* kChromium = "/usr/bin/chromium";

std::string chromium_flags(const std::string& profile) {
  return std::string(kChromium) +
         " --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run"
         " --disable-component-update --disable-sync --enable-logging=stderr --v=0 --user-data-dir=" + profile;
}

// Text as Chromium serialises it in --dump-dom (text nodes: & < > only).
std::string dom_text(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&') o += "&amp;";
    else if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else o += c;
  }
  return o;
}

int64_t sql_count(const std::string& db, const std::string& sql) {
  auto d = store::Database::open(db);
  auto s = d->session("acme");
  auto v = s->scalar(sql);
  return v ? std::get<int64_t>(*v) : -1;
}

}  // namespace

TEST_CASE("cli: every html report opens in headless Chromium with the database's numbers") {
  if (!fs::exists(kChromium)) {
    WARN("chromium is not installed (make deps installs it): skipping the browser check");
    return;
  }
  const std::string tools = tools_db();
  REQUIRE_FALSE(tools.empty());
  const std::string dir = test::temp_dir("chromium");
  for (const auto& k : report::kinds()) {
    INFO(k.name);
    // Two copies in the same state: one rendered as HTML, one as the JSON
    // document the numbers are checked against (each holds its own run).
    const std::string html_db = fresh_copy("chromium-html", tools), json_db = fresh_copy("chromium-json", tools);
    const std::string page = dir + "/" + k.name + ".html";
    auto r = test::run_command(report_cmd(html_db, k.name + subject_for(k.name) + " --format html --out " + page));
    REQUIRE(r.exit_code == 0);
    auto j = test::run_command(report_cmd(json_db, k.name + subject_for(k.name) + " --format json"));
    REQUIRE(j.exit_code == 0);
    const auto view = report::template_view(nlohmann::json::parse(j.out), report::OutputFormat::html);
    auto dom = test::run_command(chromium_flags(dir + "/profile") + " --dump-dom file://" + page);
    REQUIRE(dom.exit_code == 0);
    CHECK(dom.err.find("CONSOLE") == std::string::npos);
    CHECK(dom.err.find("Uncaught") == std::string::npos);
    CHECK(dom.out.find("<h1>" + dom_text(view["title"].get<std::string>())) != std::string::npos);
    CHECK(view["status"] == "ok");  // the tools left data for every kind
    for (const auto& s : view["sections"]) {
      INFO("section " << s["id"]);
      for (const auto& f : s["facts"])
        CHECK(dom.out.find("<dt>" + dom_text(f["label"]) + "</dt><dd>" + dom_text(f["value"]) + "</dd>") != std::string::npos);
      if (!s["has_table"]) continue;
      CHECK(dom.out.find(" (" + std::to_string(s["rows"].size()) + " rows)</caption>") != std::string::npos);
      if (s.value("has_chart", false)) CHECK(dom.out.find("aria-describedby=\"" + s["table_id"].get<std::string>() + "\"") != std::string::npos);
      for (const auto& row : s["rows"])
        for (const auto& c : row["cells"])
          CHECK(dom.out.find(std::string(c["numeric"] ? "<td class=\"num\">" : "<td>") + dom_text(c["value"]) + "</td>") !=
                std::string::npos);
    }
    // A few figures straight from the tables behind them.
    if (k.name == "runs")
      CHECK(dom.out.find("<dt>Runs</dt><dd>" + std::to_string(sql_count(html_db, "SELECT COUNT(*) FROM job_runs WHERE tenant_id = $1")) +
                         "</dd>") != std::string::npos);
    if (k.name == "threats")
      CHECK(dom.out.find("<dt>Alerts</dt><dd>" +
                         std::to_string(sql_count(html_db, "SELECT COUNT(*) FROM threat_intelligence WHERE tenant_id = $1")) + "</dd>") !=
            std::string::npos);
    if (k.name == "leads")
      CHECK(dom.out.find("<dt>Leads</dt><dd>" + std::to_string(sql_count(html_db, "SELECT COUNT(*) FROM leads WHERE tenant_id = $1")) +
                         "</dd>") != std::string::npos);
    if (k.name == "posture")
      CHECK(dom.out.find("<dt>Endpoints</dt><dd>" +
                         std::to_string(sql_count(html_db, "SELECT COUNT(*) FROM endpoints WHERE tenant_id = $1")) + "</dd>") !=
            std::string::npos);
  }
}

TEST_CASE("cli: a screenshot of every kind is kept as a test artefact") {
  if (!fs::exists(kChromium)) {
    WARN("chromium is not installed (make deps installs it): skipping the screenshots");
    return;
  }
  const std::string tools = tools_db();
  REQUIRE_FALSE(tools.empty());
  const std::string dir = test::temp_dir("screenshots");
  const std::string artefacts = test::binary_dir() + "/tests/report/screenshots";
  fs::create_directories(artefacts);
  for (const auto& k : report::kinds()) {
    INFO(k.name);
    const std::string db = fresh_copy("shot", tools);
    const std::string page = dir + "/" + k.name + ".html", png = artefacts + "/" + k.name + ".png";
    fs::remove(png);
    auto r = test::run_command(report_cmd(db, k.name + subject_for(k.name) + " --format html --out " + page));
    REQUIRE(r.exit_code == 0);
    auto shot = test::run_command(chromium_flags(dir + "/profile") + " --hide-scrollbars --window-size=1000,2000 --screenshot=" + png +
                                  " file://" + page);
    CHECK(shot.exit_code == 0);
    CHECK(shot.err.find("CONSOLE") == std::string::npos);
    REQUIRE(fs::exists(png));
    CHECK(fs::file_size(png) > 10000);  // a rendered page, not a blank one
  }
}

TEST_CASE("cli: the html of the hand-made fixture opens in headless Chromium, and pdf prints") {
  if (!fs::exists(kChromium)) {
    WARN("chromium is not installed (make deps installs it): skipping the browser check");
    return;
  }
  const std::string db = fresh_copy("chromium");
  const std::string dir = test::temp_dir("chromium");
  const std::string flags = chromium_flags(dir + "/profile");
  // runs: the figures the database holds must be the figures shown.
  auto r = test::run_command(report_cmd(db, "runs --format html --out " + dir + "/runs.html"));
  REQUIRE(r.exit_code == 0);
  auto dom = test::run_command(flags + " --dump-dom file://" + dir + "/runs.html");
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.out.find("<h1>Job runs</h1>") != std::string::npos);
  // Overview facts: runs include this report's own run (still running).
  CHECK(dom.out.find("<dt>Runs</dt><dd>" + std::to_string(report_test::kAcmeRuns + 1) + "</dd>") != std::string::npos);
  CHECK(dom.out.find("<dt>Failed</dt><dd>" + std::to_string(report_test::kAcmeFailed) + "</dd>") != std::string::npos);
  CHECK(dom.out.find("<td>screen</td><td class=\"num\">3</td>") != std::string::npos);
  CHECK(dom.out.find("<svg") != std::string::npos);
  CHECK(dom.out.find("<script") == std::string::npos);  // the hostile tool name stayed text
  CHECK(dom.err.find("CONSOLE") == std::string::npos);
  CHECK(dom.err.find("Uncaught") == std::string::npos);
  // --format pdf prints the same HTML through Chromium.
  auto pdf = test::run_command(report_cmd(db, "audit --format pdf --out " + dir + "/audit.pdf"));
  REQUIRE(pdf.exit_code == 0);
  CHECK(text::read_file(dir + "/audit.pdf").rfind("%PDF-", 0) == 0);
}
