// Repository and service against SQLite and PostgreSQL: list versions and the
// active-version rule, diffs, batches (idempotent, all-or-nothing), allow-list,
// review decisions and rescreen.
#include <catch2/catch.hpp>

#include <filesystem>

#include "fixtures.hpp"
#include "pg_harness.hpp"
#include "screen/parsers.hpp"
#include "screen/service.hpp"
#include "store/ledger.hpp"
#include "test_paths.hpp"

using namespace opskit;
using namespace opskit::screen;

namespace {

const char* backend(const std::string& url) { return test::is_postgres_url(url) ? "postgresql" : "sqlite"; }

int64_t count(store::Session& s, const std::string& sql) {
  auto v = s.scalar(sql);
  return v ? store::Row(nullptr, {*v}).integer(0) : -1;
}

std::string load_all(Repository& repo, store::Session& s, const std::string& dir, const std::string& now) {
  std::string statuses;
  for (const auto& [list, path] : discover_lists(dir)) statuses += load_list(repo, s, list, path, {}, now).status + " ";
  return statuses;
}

}  // namespace

TEST_CASE("list versions: activate, unchanged, failed keeps previous, shrink refused", "[screen][repository]") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend(url));
    auto db = store::Database::open(url);
    db->add_tenant("acme", "Acme");
    auto s = db->session("acme");
    Repository repo(*s);
    std::string dir = test::temp_dir("lists");
    testing::write_fixture_lists(dir);
    CHECK(load_all(repo, *s, dir, "2026-01-01T00:00:00Z") == "activated activated activated activated activated ");
    CHECK(load_all(repo, *s, dir, "2026-01-02T00:00:00Z") == "unchanged unchanged unchanged unchanged unchanged ");
    auto v1 = repo.active_version("ofac_sdn");
    REQUIRE(v1);
    CHECK(v1->entities == 7);
    CHECK(repo.entities(v1->id).size() == 7);

    // A truncated file fails and the previous version stays active.
    std::string sdn = testing::fixture_sdn_csv();
    testing::write_text(dir + "/ofac_sdn/sdn.csv", sdn.substr(0, sdn.size() / 2) + "\"unterminated");
    auto failed = load_list(repo, *s, "ofac_sdn", dir + "/ofac_sdn/sdn.csv", {}, "2026-01-03T00:00:00Z");
    CHECK(failed.status == "failed");
    CHECK(failed.message.find("sdn.csv:") != std::string::npos);
    CHECK(repo.active_version("ofac_sdn")->id == v1->id);

    // A list that shrinks too much is refused, unless forced.
    testing::write_text(dir + "/ofac_sdn/sdn.csv", sdn.substr(0, sdn.find("\r\n") + 2) + "\x1a");
    auto refused = load_list(repo, *s, "ofac_sdn", dir + "/ofac_sdn/sdn.csv", {}, "2026-01-03T00:00:00Z");
    CHECK(refused.status == "refused");
    CHECK(repo.active_version("ofac_sdn")->id == v1->id);
    LoadOptions force;
    force.force = true;
    auto forced = load_list(repo, *s, "ofac_sdn", dir + "/ofac_sdn/sdn.csv", force, "2026-01-03T00:00:00Z");
    CHECK(forced.status == "activated");
    auto v2 = repo.active_version("ofac_sdn");
    CHECK(v2->entities == 1);

    auto diff = diff_versions(repo, v1->id, v2->id);
    CHECK(diff.size() == 6);
    CHECK(diff[0].change == "removed");
    CHECK_THROWS_AS(diff_versions(repo, v1->id, 99999), DataError);
    CHECK(store::verify_audit(*s).ok);

    // Versions are per tenant.
    db->add_tenant("globex", "Globex");
    auto g = db->session("globex");
    Repository grepo(*g);
    CHECK(grepo.versions().empty());
  }
}

TEST_CASE("batch: statuses, matches, audit, idempotent rerun, bad rows", "[screen][repository]") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend(url));
    auto db = store::Database::open(url);
    db->add_tenant("acme", "Acme");
    auto s = db->session("acme");
    Repository repo(*s);
    std::string dir = test::temp_dir("batch");
    testing::write_fixture_lists(dir);
    load_all(repo, *s, dir, "2026-01-01T00:00:00Z");
    Screener screener(repo, Thresholds{}, "cfg", "2026-01-05T00:00:00Z");
    std::string file = dir + "/tx.csv";
    testing::write_text(file,
                        "id,date,amount,currency,counterparty,country\n"
                        "t1,2026-01-04,100.50,USD,Karim Yusuf Al-Zarqawi,Jordan\n"
                        "t2,2026-01-04,20,EUR,Jane Doe,France\n"
                        "t3,2026-01-04,abc,EUR,Someone,France\n"
                        "t4,2026-01-04,5,USD,Emma LLC,\n"
                        ",2026-01-04,5,USD,No Id,\n");
    BatchOptions o;
    o.path = file;
    o.now = "2026-01-05T00:00:00Z";
    std::vector<std::string> bad;
    std::vector<std::string> hits;
    auto on_hit = [&](const Subject& sub, const Decision&) { hits.push_back(sub.id + ":" + sub.status); };
    auto on_bad = [&](const DataError& e) { bad.push_back(e.what()); };
    auto c = screen_batch(screener, repo, *s, o, on_hit, on_bad);
    CHECK(c.rows == 5);
    CHECK(c.bad_rows == 2);
    REQUIRE(bad.size() == 2);
    CHECK(bad[0].find("tx.csv:4:") != std::string::npos);
    CHECK(bad[0].find("amount") != std::string::npos);
    CHECK(c.screened == 3);
    CHECK(hits == std::vector<std::string>{"t1:BLOCKED", "t4:BLOCKED"});
    CHECK(repo.subject("t2")->status == "CLEAR");
    CHECK(*repo.subject("t1")->amount == Approx(100.5));
    auto matches = repo.matches("open", 100);
    REQUIRE(matches.size() >= 2);
    auto expl = nlohmann::json::parse(matches[0].explanation);
    CHECK(expl.contains("alignment"));
    CHECK(expl["config_hash"] == "cfg");
    CHECK(expl["list_version"].get<int64_t>() > 0);
    int64_t audits = count(*s, "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1");

    // Rerun: same rows, no new audit entries.
    hits.clear();
    bad.clear();
    screen_batch(screener, repo, *s, o, on_hit, on_bad);
    CHECK(count(*s, "SELECT COUNT(*) FROM transactions WHERE tenant_id = $1") == 3);
    CHECK(repo.matches("", 100).size() == matches.size());
    CHECK(count(*s, "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1") == audits);

    // --on-error stop: the first bad row ends the batch and nothing is written.
    std::string file2 = dir + "/tx2.jsonl";
    testing::write_text(file2, "{\"id\":\"j1\",\"counterparty\":\"Sergei Petrov\"}\n{\"id\":\"j2\",\"counterparty\":[7]}\n");
    o.path = file2;
    o.stop_on_error = true;
    CHECK_THROWS_AS(screen_batch(screener, repo, *s, o, on_hit, on_bad), DataError);
    CHECK(!repo.subject("j1"));
    o.stop_on_error = false;
    auto cj = screen_batch(screener, repo, *s, o, on_hit, on_bad);
    CHECK(cj.flagged + cj.blocked == 1);
    CHECK(repo.subject("j1"));

    // Shards split the rows without overlap.
    BatchOptions so = o;
    so.path = file;
    so.dry_run = true;
    int64_t total = 0;
    for (uint32_t k = 0; k < 3; ++k) {
      so.shard = Shard::parse(std::to_string(k) + "/3");
      total += screen_batch(screener, repo, *s, so, on_hit, on_bad).screened;
    }
    CHECK(total == 3);
    CHECK(store::verify_audit(*s).ok);
  }
}

TEST_CASE("batch: new ids are inserted and stored or repeated ids upserted in order with no field carried over", "[screen][repository]") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend(url));
    auto db = store::Database::open(url);
    db->add_tenant("acme", "Acme");
    auto s = db->session("acme");
    Repository repo(*s);
    std::string dir = test::temp_dir("batch_ids");
    testing::write_fixture_lists(dir);
    load_all(repo, *s, dir, "2026-01-01T00:00:00Z");
    Screener screener(repo, Thresholds{}, "cfg", "2026-01-05T00:00:00Z");
    BatchOptions o;
    o.now = "2026-01-05T00:00:00Z";
    auto on_hit = [](const Subject&, const Decision&) {};
    auto on_bad = [](const DataError& e) { FAIL(e.what()); };
    o.path = dir + "/first.csv";
    testing::write_text(o.path,
                        "id,date,amount,currency,counterparty,country\n"
                        "a1,2026-01-04,10,USD,Jane Doe,France\n"
                        "a2,2026-01-04,20,USD,Karim Yusuf Al-Zarqawi,Jordan\n");
    screen_batch(screener, repo, *s, o, on_hit, on_bad);
    const int64_t audits = count(*s, "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1");
    // a1 and a2 are stored; b1 is new and appears three times (CLEAR, then
    // BLOCKED, then CLEAR again); b2 is new once. A row without an amount,
    // date or country after rows that had them must store NULLs.
    o.path = dir + "/second.csv";
    testing::write_text(o.path,
                        "id,date,amount,currency,counterparty,country\n"
                        "b1,2026-01-04,1,USD,Jane Doe,France\n"
                        "a1,2026-01-04,11,USD,Karim Yusuf Al-Zarqawi,Jordan\n"
                        "b1,2026-01-04,2,USD,Karim Yusuf Al-Zarqawi,Jordan\n"
                        "a2,2026-01-04,21,USD,Karim Yusuf Al-Zarqawi,Jordan\n"
                        "b2,,,USD,John Smith,\n"
                        "b1,2026-01-04,3,USD,Jane Doe,France\n");
    auto c = screen_batch(screener, repo, *s, o, on_hit, on_bad);
    CHECK(c.screened == 6);
    CHECK(c.changed == 3);  // a1 CLEAR -> BLOCKED, b1 CLEAR -> BLOCKED -> CLEAR
    CHECK(count(*s, "SELECT COUNT(*) FROM transactions WHERE tenant_id = $1") == 4);
    CHECK(repo.subject("a1")->status == "BLOCKED");
    CHECK(*repo.subject("a1")->amount == Approx(11));
    CHECK(repo.subject("a2")->status == "BLOCKED");
    auto b1 = repo.subject("b1");
    REQUIRE(b1);
    CHECK(b1->status == "CLEAR");
    CHECK(*b1->amount == Approx(3));
    auto b2 = repo.subject("b2");
    REQUIRE(b2);
    CHECK(!b2->amount);
    CHECK(b2->date.empty());
    CHECK(b2->country.empty());
    CHECK(b2->counterparty == "John Smith");
    // One audit entry per changed decision: a1, b1 (new, BLOCKED), b1 (back to CLEAR).
    CHECK(count(*s, "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1") == audits + 3);
    // Rows are read into kept slots, one chunk (4,096 rows) at a time: the
    // first row of the second chunk reuses the first row's slot.
    std::string big = "id,date,amount,currency,counterparty,country,dob,type\n";
    big += "c0,2026-01-04,7,USD,Jane Doe,France,1970,individual\n";
    for (int i = 1; i < 4096; ++i) big += "c" + std::to_string(i) + ",2026-01-04,7,USD,Jane Doe,France,,\n";
    big += "c4096,,,,John Smith,,,\n";
    o.path = dir + "/third.csv";
    testing::write_text(o.path, big);
    CHECK(screen_batch(screener, repo, *s, o, on_hit, on_bad).screened == 4097);
    auto c0 = repo.subject("c0"), last = repo.subject("c4096");
    REQUIRE(c0);
    REQUIRE(last);
    CHECK(c0->dob == "1970");
    CHECK(c0->entity_type == "individual");
    CHECK(*c0->amount == Approx(7));
    CHECK(!last->amount);
    CHECK(last->date.empty());
    CHECK(last->currency.empty());
    CHECK(last->country.empty());
    CHECK(last->dob.empty());
    CHECK(last->entity_type.empty());
    CHECK(last->counterparty == "John Smith");

    // A rerun of stored ids goes by lookup first after its first chunk; new
    // ids and changed statuses in later chunks are still told apart.
    auto file_of = [&](const std::string& name, int rows, auto&& line) {
      std::string text = "id,date,amount,currency,counterparty,country\n";
      for (int i = 0; i < rows; ++i) text += line(i);
      o.path = dir + "/" + name;
      testing::write_text(o.path, text);
    };
    file_of("rerun1.csv", 9000, [](int i) { return "r" + std::to_string(i) + ",2026-01-04,1,USD,Jane Doe,France\n"; });
    CHECK(screen_batch(screener, repo, *s, o, on_hit, on_bad).screened == 9000);
    const int64_t audits_before = count(*s, "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1");
    // r5000 and r8500 turn BLOCKED; n0 (chunk 2) and n1 (chunk 3) are new, n1 BLOCKED.
    file_of("rerun2.csv", 9002, [](int i) {
      if (i == 5000) return std::string("n0,2026-01-04,1,USD,Jane Doe,France\n");
      if (i == 9001) return std::string("n1,2026-01-04,1,USD,Karim Yusuf Al-Zarqawi,Jordan\n");
      const int id = i > 5000 ? i - 1 : i;
      const bool hit = id == 5000 || id == 8500;
      return "r" + std::to_string(id) + ",2026-01-04,2,USD," + (hit ? "Karim Yusuf Al-Zarqawi,Jordan" : "Jane Doe,France") + "\n";
    });
    auto rerun = screen_batch(screener, repo, *s, o, on_hit, on_bad);
    CHECK(rerun.screened == 9002);
    CHECK(rerun.changed == 2);
    CHECK(count(*s, "SELECT COUNT(*) FROM transactions WHERE tenant_id = $1 AND id LIKE 'r%'") == 9000);
    CHECK(count(*s, "SELECT COUNT(*) FROM transactions WHERE tenant_id = $1 AND id LIKE 'n%'") == 2);
    CHECK(repo.subject("r5000")->status == "BLOCKED");
    CHECK(repo.subject("r8500")->status == "BLOCKED");
    CHECK(*repo.subject("r8999")->amount == Approx(2));
    CHECK(repo.subject("n0")->status == "CLEAR");
    CHECK(repo.subject("n1")->status == "BLOCKED");
    // Audited: the two changes and the new BLOCKED id.
    CHECK(count(*s, "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1") == audits_before + 3);
    CHECK(store::verify_audit(*s).ok);
  }
}

TEST_CASE("allow-list, review decisions and rescreen", "[screen][repository]") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend(url));
    auto db = store::Database::open(url);
    db->add_tenant("acme", "Acme");
    auto s = db->session("acme");
    Repository repo(*s);
    std::string dir = test::temp_dir("allow");
    testing::write_fixture_lists(dir);
    load_all(repo, *s, dir, "2026-01-01T00:00:00Z");
    std::string now = "2026-01-05T00:00:00Z";
    {
      Screener sc(repo, Thresholds{}, "cfg", now);
      Query q;
      q.name = "Emma LLC";
      CHECK(sc.screen(q).status == Status::blocked);
      auto e = repo.active_entity("ofac_sdn", "105");
      REQUIRE(e);
      repo.allow({sc.name_key("Emma LLC"), "ofac_sdn", "105", e->content_hash(), "tester", "our supplier", "", now});
    }
    {
      Screener sc(repo, Thresholds{}, "cfg", now);
      Query q;
      q.name = "EMMA, LLC";
      auto d = sc.screen(q);
      CHECK(d.allowed == 1);
      CHECK(d.status == Status::clear);
    }
    // An expired entry no longer applies.
    {
      auto a = repo.allow_list().at(0);
      a.expires_at = "2026-01-02";
      repo.allow(a);
      Screener sc(repo, Thresholds{}, "cfg", now);
      Query q;
      q.name = "Emma LLC";
      CHECK(sc.screen(q).status == Status::blocked);
    }
    CHECK(repo.disallow("emma llc", "ofac_sdn", "105"));

    // Review decision, audited.
    std::string file = dir + "/c.csv";
    testing::write_text(file, "id,name\nc1,Karim Al-Zarqawi\nc2,Jane Doe\n");
    Screener sc(repo, Thresholds{}, "cfg", now);
    BatchOptions o;
    o.path = file;
    o.now = now;
    screen_batch(sc, repo, *s, o, [](const Subject&, const Decision&) {}, [](const DataError&) {});
    auto open = repo.matches("open", 10);
    REQUIRE(!open.empty());
    repo.decide(open[0].id, "cleared", "different person (DOB)", "tester", now);
    CHECK(repo.match_by_id(open[0].id)->review_status == "cleared");
    CHECK(repo.matches("open", 10).size() == open.size() - 1);

    // Rescreen with stricter thresholds: statuses change and are recorded.
    Screener strict(repo, Thresholds{99.5, 99.9}, "cfg2", now);
    std::vector<std::string> changed;
    auto c = rescreen(strict, repo, *s, 1, now, false,
                      [&](const Subject& b, const Subject& a) { changed.push_back(a.id + ":" + b.status + ">" + a.status); });
    CHECK(c.screened == 2);
    CHECK(changed.size() == 1);
    CHECK(count(*s, "SELECT COUNT(*) FROM screening_changes WHERE tenant_id = $1") == 1);
    CHECK(store::verify_audit(*s).ok);
  }
}
