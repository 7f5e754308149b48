// Report kinds against a database filled through the store API, on SQLite
// and (when the fixture is up) PostgreSQL: same documents on both.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "fixture.hpp"
#include "pg_harness.hpp"
#include "report/kinds.hpp"
#include "report/render.hpp"
#include "report/repository.hpp"

using namespace opskit;
using namespace opskit::report;
using nlohmann::json;

namespace {

Request request(const std::string& kind, const std::string& subject = {}) {
  Request r;
  r.kind = kind;
  r.subject = subject;
  r.now = report_test::kNow;
  return r;
}

const json& section(const json& doc, const std::string& id) {
  for (const auto& s : doc["sections"])
    if (s["id"] == id) return s;
  FAIL("no section " << id);
  static json none;
  return none;
}

json fact(const json& s, const std::string& label) {
  for (const auto& f : s["facts"])
    if (f["label"] == label) return f["value"];
  return nullptr;
}

}  // namespace

TEST_CASE("runs, audit and summary from the foundation tables, same on both backends") {
  std::vector<json> per_backend;
  for (const auto& url : test::backend_urls(true)) {
    INFO(url);
    auto db = report_test::filled_database(url);
    auto s = db->session("acme");

    json runs = build_report(*s, request("runs"));
    CHECK(runs["schema"] == "opskit.report");
    CHECK(runs["status"] == "ok");
    const auto& ov = section(runs, "overview");
    CHECK(fact(ov, "Runs") == report_test::kAcmeRuns);
    CHECK(fact(ov, "Failed") == report_test::kAcmeFailed);
    CHECK(fact(ov, "With findings") == report_test::kAcmeFindings);
    CHECK(fact(ov, "Tools") == 3);
    const auto& by_tool = section(runs, "by_tool")["table"]["rows"];
    REQUIRE(by_tool.size() == 3);
    CHECK(by_tool[0] == json::array({report_test::kHostile, 1, 1, 0, 0, 0, "2026-11-19T04:00:00Z"}));
    CHECK(by_tool[1] == json::array({"capture", 2, 1, 0, 1, 0, "2026-11-19T03:00:00Z"}));
    CHECK(by_tool[2] == json::array({"screen", 3, 1, 1, 1, 0, "2026-11-18T02:00:00Z"}));
    const auto& dur = section(runs, "durations")["table"]["rows"];
    CHECK(dur[2] == json::array({"screen", 3, 12.0, 30.0, 1200 + 503}));
    CHECK(section(runs, "by_day")["table"]["rows"].size() == 3);
    CHECK(section(runs, "failures")["table"]["rows"].size() == 2);
    CHECK(section(runs, "failures")["table"]["rows"][0][6] == "database is locked");

    // A period keeps only what started inside it.
    Request r = request("runs");
    r.since = "2026-11-18T00:00:00Z";
    r.until = "2026-11-18T23:59:59Z";
    json day = build_report(*s, r);
    CHECK(fact(section(day, "overview"), "Runs") == 2);

    json audit = build_report(*s, request("audit"));
    CHECK(fact(section(audit, "verification"), "Chain") == "intact");
    CHECK(fact(section(audit, "verification"), "Entries verified") == report_test::kAcmeAudit);
    CHECK(section(audit, "by_action")["table"]["rows"][0] == json::array({"match.decide", 3}));
    CHECK(section(audit, "trail")["table"]["rows"][0][0] == 5);  // most recent first

    json summary = build_report(*s, request("summary"));
    CHECK(fact(section(summary, "overview"), "Job runs") == report_test::kAcmeRuns);
    CHECK(fact(section(summary, "overview"), "Audit chain") == "intact");

    // Tenant scoping: globex sees only its own run.
    auto g = db->session("globex");
    json gr = build_report(*g, request("runs"));
    CHECK(fact(section(gr, "overview"), "Runs") == 1);
    CHECK(section(gr, "failures")["table"]["rows"][0][6] == "globex only");

    json posture = build_report(*s, request("posture"));
    CHECK(posture["status"] == "ok");
    CHECK(fact(section(posture, "overview"), "Open issues") == 3);
    CHECK(fact(section(posture, "overview"), "Open incidents") == 1);
    CHECK(section(posture, "open_by_severity")["table"]["rows"][0] == json::array({"high", 1}));
    const auto& ctl = section(posture, "open_by_control")["table"]["rows"];
    REQUIRE(ctl.size() == 4);
    CHECK(ctl[3] == json::array({"PCI DSS", 1, 1, 0}));
    CHECK(section(posture, "fixed")["table"]["rows"][0][2] == "tls-old");
    CHECK(section(posture, "open_issues")["table"]["rows"][0][2] == "hsts-missing");
    CHECK(section(posture, "incidents")["table"]["rows"].size() == 1);

    per_backend.push_back(json::array({runs, audit, summary, posture}));
  }
  for (size_t i = 1; i < per_backend.size(); ++i) CHECK(per_backend[i] == per_backend[0]);
}

TEST_CASE("an empty tenant gets reports that say there is no data yet") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(url);
    auto db = store::Database::open(url);
    db->add_tenant("empty", "Empty");
    auto s = db->session("empty");
    for (const auto& k : kinds()) {
      INFO(k.name);
      json doc;
      REQUIRE_NOTHROW(doc = build_report(*s, request(k.name, k.subject.empty() ? "" : "x-1")));
      if (k.name != "kyc" && k.name != "simulation") {
        CHECK(doc["status"] == "no_data");
        CHECK(!doc["notes"].empty());
      }
      for (auto f : {OutputFormat::json, OutputFormat::csv, OutputFormat::md, OutputFormat::html, OutputFormat::text})
        CHECK_NOTHROW(render(doc, {f}));
    }
  }
}

TEST_CASE("bad requests: unknown kind, missing or extra subject, bad period") {
  auto db = store::Database::open(test::backend_urls(true)[0]);
  db->add_tenant("acme", "Acme");
  auto s = db->session("acme");
  CHECK_THROWS_WITH(build_report(*s, request("nope")), Catch::Contains("known kinds: audit, kyc CUSTOMER, leads"));
  CHECK_THROWS_AS(build_report(*s, request("kyc")), UsageError);
  CHECK_THROWS_AS(build_report(*s, request("simulation")), UsageError);
  CHECK_THROWS_AS(build_report(*s, request("runs", "extra")), UsageError);
  Request r = request("runs");
  r.since = "2026-12-01T00:00:00Z";
  CHECK_THROWS_AS(build_report(*s, r), UsageError);
  CHECK(normalise_time("2026-11-01", "--since") == "2026-11-01T00:00:00Z");
  CHECK_THROWS_WITH(normalise_time("yesterday", "--since"), Catch::Contains("--since"));
}

TEST_CASE("report runs are recorded per tenant") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(url);
    auto db = store::Database::open(url);
    db->add_tenant("acme", "Acme");
    auto s = db->session("acme");
    Repository repo(*s);
    ReportRunRow r{7, "runs", "", "html", "", report_test::kNow, report_test::kNow, "out.html", "abc", 123};
    repo.record_report_run(r);
    auto rows = repo.report_runs_recent(5);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].text("kind") == "runs");
    CHECK(rows[0].integer("bytes") == 123);
    CHECK(repo.has_table("report_runs"));
    CHECK_FALSE(repo.has_table("no_such_table"));
  }
}

TEST_CASE("screening, kyc, leads, threats and simulation from their tools' tables") {
  std::vector<json> per_backend;
  for (const auto& url : test::backend_urls(true)) {
    INFO(url);
    auto db = report_test::filled_database(url);
    auto s = db->session("acme");

    json scr = build_report(*s, request("screening"));
    CHECK(scr["status"] == "ok");
    CHECK(fact(section(scr, "overview"), "Subjects screened") == 3);
    CHECK(fact(section(scr, "overview"), "Open reviews") == 1);
    CHECK(section(scr, "lists")["table"]["rows"].size() == 2);
    CHECK(section(scr, "decisions_by_day")["table"]["rows"][0] == json::array({"2026-11-17", 1, 1}));
    CHECK(section(scr, "open_reviews")["table"]["rows"][0][1] == "cust-1");

    json kyc = build_report(*s, request("kyc", "cust-1"));
    CHECK(fact(section(kyc, "overview"), "Matches") == 2);
    CHECK(fact(section(kyc, "overview"), "Audit chain") == "intact");
    CHECK(section(kyc, "matches")["table"]["rows"][0][1] == "OFAC-SDN");
    CHECK(section(kyc, "decisions")["table"]["rows"][0][2] == "different date of birth");
    CHECK(section(kyc, "list_versions")["table"]["rows"].size() == 2);
    CHECK_THROWS_AS(build_report(*s, request("kyc", "nobody")), DataError);

    json leads = build_report(*s, request("leads"));
    CHECK(fact(section(leads, "overview"), "auc") == 0.81);
    CHECK(section(leads, "pipeline")["table"]["rows"] == json::array({json::array({"20-39", 1, 0, 1, 0}), json::array({"80-100", 2, 1, 0, 1})}));
    CHECK(section(leads, "drift")["table"]["rows"][0][2] == "visits");
    CHECK(section(leads, "top_open")["table"]["rows"][0][1] == 84);

    json thr = build_report(*s, request("threats"));
    CHECK(fact(section(thr, "overview"), "Alerts") == 2);
    CHECK(section(thr, "by_type")["table"]["rows"][0] == json::array({"beacon", 0, 1}));
    CHECK(section(thr, "top_talkers")["table"]["rows"][0] == json::array({"10.0.0.5", 2, 2}));
    CHECK(section(thr, "top_domains")["table"]["rows"][0] == json::array({"example.com", 2, 2}));
    CHECK(section(thr, "new_devices")["table"]["rows"].size() == 1);

    json sim = build_report(*s, request("simulation", "1"));
    CHECK(fact(section(sim, "waterfall"), "Total change") == 40);
    CHECK(section(sim, "waterfall")["table"]["rows"].size() == 2);
    CHECK(section(sim, "metrics")["table"]["rows"][1][5] == 4.5);  // after the two reported days
    CHECK(section(sim, "metrics")["table"]["rows"][1][6] == -0.5);
    CHECK(section(sim, "plan")["table"]["rows"].size() == 2);
    CHECK_THROWS_AS(build_report(*s, request("simulation", "99")), DataError);
    CHECK_THROWS_AS(build_report(*s, request("simulation", "abc")), DataError);

    json lin = build_report(*s, request("lineage"));
    CHECK(lin["status"] == "ok");
    CHECK(section(lin, "list_versions")["table"]["rows"].size() == 2);

    per_backend.push_back(json::array({scr, kyc, leads, thr, sim, lin}));
  }
  for (size_t i = 1; i < per_backend.size(); ++i) CHECK(per_backend[i] == per_backend[0]);
}

TEST_CASE("history sections: lead top movers and endpoint trends, same on both backends") {
  std::vector<json> per_backend;
  for (const auto& url : test::backend_urls(true)) {
    INFO(url);
    auto db = report_test::filled_database(url);
    auto s = db->session("acme");
    const std::string hostile = report_test::kHostile;
    // Rows as score-leads writes them: one per lead whose score changed (the
    // first scoring has no previous score and is not a move).
    s->exec("INSERT INTO lead_score_history (tenant_id, external_id, scored_at, model_version, score, previous_score) VALUES "
            "($1, 'L1', '2026-11-17T00:00:00Z', 'm1', 80, NULL), ($1, 'L1', '2026-11-18T00:00:00Z', 'm1', 91, 80), "
            "($1, 'L2', '2026-11-18T00:00:00Z', 'm1', 35, 60), "
            "($1, $2, '2026-11-18T00:00:00Z', 'm1', 70, 50), ($1, $2, '2026-11-19T00:00:00Z', 'm2', 84, 70)",
            {hostile});
    // Rows as scan-endpoint writes them: one per endpoint per scan; a host's
    // score is its hardening index.
    s->exec("INSERT INTO endpoint_scan_history (tenant_id, endpoint, kind, scanned_at, status, grade, score, tls_grade, open_issues) VALUES "
            "($1, 'shop', 'web', '2026-11-10T06:00:00Z', 'ok', 'C', 55, 'A', 4), "
            "($1, 'shop', 'web', '2026-11-19T06:00:00Z', 'ok', 'B', 72, 'A', 2), "
            "($1, $2, 'web', '2026-11-19T06:00:00Z', 'ok', 'F', 10, NULL, 1), "
            "($1, 'host:laptop-7', 'host', '2026-11-17T06:00:00Z', 'ok', NULL, 60, NULL, 3), "
            "($1, 'host:laptop-7', 'host', '2026-11-18T06:00:00Z', 'ok', NULL, 58, NULL, 3), "
            "($1, 'host:laptop-7', 'host', '2026-11-18T23:00:00Z', 'ok', NULL, 65, NULL, 2), "
            "($1, 'host:laptop-7', 'host', '2026-11-19T06:00:00Z', 'ok', NULL, 70, NULL, 1)",
            {hostile});

    json leads = build_report(*s, request("leads"));
    const auto& movers = section(leads, "movers");
    CHECK(fact(movers, "Leads that moved") == 3);
    CHECK(fact(movers, "Moves up") == 3);
    CHECK(fact(movers, "Moves down") == 1);
    const auto& mrows = movers["table"]["rows"];
    REQUIRE(mrows.size() == 3);
    CHECK(mrows[0] == json::array({hostile, 50, 84, 34, 2, "2026-11-19T00:00:00Z", "m2"}));
    CHECK(mrows[1] == json::array({"L2", 60, 35, -25, 1, "2026-11-18T00:00:00Z", "m1"}));
    CHECK(mrows[2] == json::array({"L1", 80, 91, 11, 1, "2026-11-18T00:00:00Z", "m1"}));
    CHECK(movers["chart"]["type"] == "bar");
    // A period keeps the moves inside it only.
    Request r = request("leads");
    r.since = "2026-11-19T00:00:00Z";
    json late = build_report(*s, r);
    CHECK(section(late, "movers")["table"]["rows"] == json::array({json::array({hostile, 70, 84, 14, 1, "2026-11-19T00:00:00Z", "m2"})}));

    json posture = build_report(*s, request("posture"));
    const auto& trend = section(posture, "trend");
    CHECK(fact(trend, "Better") == 2);
    CHECK(fact(trend, "Worse") == 0);
    const auto& trows = trend["table"]["rows"];
    REQUIRE(trows.size() == 3);  // byte order: '<' before 'h' before 's'
    CHECK(trows[0] == json::array({hostile, "web", 1, "2026-11-19T06:00:00Z", "F", 10, "2026-11-19T06:00:00Z", "F", 10, 0, "one scan", 1}));
    CHECK(trows[1] == json::array({"host:laptop-7", "host", 4, "2026-11-17T06:00:00Z", nullptr, 60, "2026-11-19T06:00:00Z", nullptr, 70, 10,
                                   "better", 1}));
    CHECK(trows[2] == json::array({"shop", "web", 2, "2026-11-10T06:00:00Z", "C", 55, "2026-11-19T06:00:00Z", "B", 72, 17, "better", 2}));
    const auto& hardening = section(posture, "hardening");
    CHECK(hardening["table"]["columns"][1]["label"] == "host:laptop-7");
    CHECK(hardening["table"]["rows"] == json::array({json::array({"2026-11-17", 60}), json::array({"2026-11-18", 65}),
                                                     json::array({"2026-11-19", 70})}));
    CHECK(hardening["chart"]["type"] == "time_series");
    const auto& web = section(posture, "score_history");
    CHECK(web["table"]["columns"][1]["label"] == hostile);
    CHECK(web["table"]["rows"] == json::array({json::array({"2026-11-10", nullptr, 55}), json::array({"2026-11-19", 10, 72})}));
    // The hostile endpoint name stays text in every output.
    for (auto f : {OutputFormat::html, OutputFormat::md}) CHECK(render(posture, {f}).find("<script") == std::string::npos);
    CHECK(render(posture, {OutputFormat::html}).find("<polyline") != std::string::npos);

    per_backend.push_back(json::array({leads, posture}));
  }
  for (size_t i = 1; i < per_backend.size(); ++i) CHECK(per_backend[i] == per_backend[0]);
}

TEST_CASE("history sections are empty, not errors, when the tools wrote no history") {
  auto db = report_test::filled_database(test::backend_urls(true)[0]);
  auto s = db->session("acme");
  json leads = build_report(*s, request("leads"));
  CHECK(section(leads, "movers")["table"]["rows"].empty());
  CHECK(section(leads, "movers")["empty_note"] == "No lead's score changed in this period.");
  json posture = build_report(*s, request("posture"));
  CHECK(section(posture, "trend")["table"]["rows"].empty());
  CHECK(section(posture, "hardening")["table"]["rows"].empty());
  CHECK_NOTHROW(render(posture, {OutputFormat::html}));
}
