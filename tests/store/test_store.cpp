// Store tests: every case runs against SQLite and a real PostgreSQL server
// (when the pg fixture is up), through the same public API.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "core/error.hpp"
#include "pg_harness.hpp"
#include "store/ledger.hpp"
#include "store/store.hpp"
#include "test_paths.hpp"

using namespace opskit;
using namespace opskit::store;

namespace {
std::unique_ptr<Database> open_with_tenants(const std::string& url) {
  auto db = Database::open(url);
  db->add_tenant("acme", "Acme");
  db->add_tenant("globex", "Globex");
  return db;
}
const char* backend_name(const std::string& url) { return test::is_postgres_url(url) ? "postgresql" : "sqlite"; }
}  // namespace

TEST_CASE("migrations apply once and the schema check passes") {
  for (const auto& url : test::backend_urls(false)) {
    INFO(backend_name(url));
    auto db = Database::open(url);
    if (test::is_postgres_url(url)) {
      // The app role may not create tables; migrations run as the owner.
      CHECK_THROWS_AS(db->migrate(), DatabaseError);
      continue;
    }
    CHECK_THROWS_AS(db->require_current_schema(), DatabaseError);
    CHECK(db->migrate() > 0);
    CHECK(db->migrate() == 0);
    CHECK_NOTHROW(db->require_current_schema());
    auto st = db->migration_status();
    CHECK(st.pending.empty());
    CHECK(st.current == st.expected);
  }
}

TEST_CASE("a database from a newer version is refused with a clear error") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    if (test::is_postgres_url(url)) continue;  // the app role cannot write schema_migrations
    auto db = Database::open(url);
    db->exec_script("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future', 'x')");
    try {
      db->require_current_schema();
      FAIL("no error");
    } catch (const DatabaseError& e) {
      CHECK(std::string(e.what()).find("newer than this binary") != std::string::npos);
      CHECK(e.code() == ExitCode::database);
    }
  }
}

TEST_CASE("tenants: unknown tenant lists the known ones") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    CHECK(db->tenants().size() == 2);
    try {
      db->session("initech");
      FAIL("no error");
    } catch (const DataError& e) {
      CHECK(std::string(e.what()) == "unknown tenant 'initech'; known tenants: acme, globex");
    }
    CHECK_THROWS_AS(db->add_tenant("acme", "again"), DataError);
    CHECK_THROWS_AS(db->add_tenant("bad id", "x"), UsageError);
  }
}

TEST_CASE("sessions only see their own tenant's rows") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    {
      auto a = db->session("acme");
      Ledger(*a).start("screen", "batch", "x", "2026-01-01T00:00:00Z", "h", 1);
    }
    auto b = db->session("globex");
    CHECK(b->scalar("SELECT count(*) FROM job_runs WHERE tenant_id = $1")->index() != 0);
    CHECK(std::get<int64_t>(*b->scalar("SELECT count(*) FROM job_runs WHERE tenant_id = $1")) == 0);
    auto a = db->session("acme");
    CHECK(std::get<int64_t>(*a->scalar("SELECT count(*) FROM job_runs WHERE tenant_id = $1")) == 1);
  }
}

TEST_CASE("transactions commit whole or not at all") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    Ledger ledger(*s);
    CHECK_THROWS_AS(s->transaction([&] {
                      ledger.start("t", "a", "", "2026-01-01T00:00:00Z", "h", 1);
                      s->exec("INSERT INTO no_such_table VALUES (1)");
                    }),
                    DatabaseError);
    CHECK(ledger.list(10).empty());
    s->transaction([&] { ledger.start("t", "a", "", "2026-01-01T00:00:00Z", "h", 1); });
    CHECK(ledger.list(10).size() == 1);
  }
}

TEST_CASE("bulk upserts are idempotent on natural keys") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    BulkSpec spec{"job_locks", {"job", "run_id", "host", "pid", "acquired_at"}, {"job"}, {"run_id", "host"}};
    for (int round = 0; round < 2; ++round) {
      s->transaction([&] {
        auto w = s->bulk(spec);
        for (int i = 0; i < 2500; ++i)
          w->add({"job-" + std::to_string(i), int64_t{round}, std::string("h\tost\\\n"), int64_t{i}, std::string("t")});
        w->flush();
        CHECK(w->count() == 2500);
      });
    }
    CHECK(std::get<int64_t>(*s->scalar("SELECT count(*) FROM job_locks WHERE tenant_id = $1")) == 2500);
    auto r = s->query("SELECT run_id, host FROM job_locks WHERE tenant_id = $1 AND job = $2", {std::string("job-7")});
    REQUIRE(r.size() == 1);
    CHECK(r[0].integer("run_id") == 1);
    CHECK(r[0].text("host") == "h\tost\\\n");
  }
}

TEST_CASE("a bulk batch that repeats a key keeps the last row, NULLs and numbers round-trip") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    BulkSpec spec{"transactions",
                  {"id", "kind", "amount", "counterparty", "source", "sanctions_status", "compliance_score", "screened_at", "lists_hash", "dob"},
                  {"id"},
                  {"amount", "sanctions_status", "compliance_score", "dob"}};
    s->transaction([&] {
      auto w = s->bulk(spec);
      // 200 rows over 150 keys: keys 0..49 come twice, the second time with
      // other values; more rows than one SQLite statement carries.
      for (int i = 0; i < 200; ++i) {
        int key = i % 150;
        bool second = i >= 150;
        w->add({"T" + std::to_string(key), std::string("customer"), second ? Value(0.1 + key) : Value(nullptr), std::string("Name"),
                std::string("f.csv"), std::string(second ? "BLOCKED" : "CLEAR"), 1.0 / 3.0, std::string("2026-01-01T00:00:00Z"),
                std::string("h"), second ? Value(nullptr) : Value(std::string("1970-01-01"))});
      }
      w->flush();
      CHECK(w->count() == 200);
    });
    CHECK(std::get<int64_t>(*s->scalar("SELECT count(*) FROM transactions WHERE tenant_id = $1")) == 150);
    CHECK(std::get<int64_t>(*s->scalar("SELECT count(*) FROM transactions WHERE tenant_id = $1 AND sanctions_status = 'BLOCKED'")) == 50);
    auto r = s->query("SELECT amount, dob, compliance_score FROM transactions WHERE tenant_id = $1 AND id = $2", {std::string("T7")});
    REQUIRE(r.size() == 1);
    CHECK(r[0].real("amount") == 7.1);
    CHECK(r[0].is_null("dob"));
    CHECK(r[0].real("compliance_score") == 1.0 / 3.0);
    auto untouched = s->query("SELECT amount, dob FROM transactions WHERE tenant_id = $1 AND id = $2", {std::string("T70")});
    REQUIRE(untouched.size() == 1);
    CHECK(untouched[0].is_null("amount"));
    CHECK(untouched[0].text("dob") == "1970-01-01");
  }
}

TEST_CASE("bulk rows that need the server to parse a value mix with the others, in order") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    // On PostgreSQL a string for a number column (and a number for a text
    // column) cannot go in COPY's binary format as is; such rows travel in
    // text-format chunks between the binary ones, and the later row of a key
    // still wins.
    BulkSpec spec{"transactions",
                  {"id", "kind", "amount", "counterparty", "source", "sanctions_status", "compliance_score", "screened_at", "lists_hash"},
                  {"id"},
                  {"kind", "amount", "compliance_score"}};
    const std::vector<Value> amounts = {Value(1.25), Value(std::string("2.5")), Value(int64_t{3}), Value(nullptr), Value(std::string("-4e2"))};
    const std::vector<Value> kinds = {Value(std::string("customer")), Value(int64_t{42}), Value(0.5)};
    s->transaction([&] {
      auto w = s->bulk(spec);
      for (int i = 0; i < 60; ++i)
        w->add({"M" + std::to_string(i % 40), kinds[static_cast<size_t>(i) % kinds.size()], amounts[static_cast<size_t>(i) % amounts.size()],
                std::string("N"), std::string("f.csv"), std::string("CLEAR"), i < 40 ? Value(0.0) : Value(std::string("1")),
                std::string("2026-01-01T00:00:00Z"), std::string("h")});
      w->flush();
    });
    CHECK(std::get<int64_t>(*s->scalar("SELECT count(*) FROM transactions WHERE tenant_id = $1")) == 40);
    auto rows = s->query("SELECT id, kind, amount, compliance_score FROM transactions WHERE tenant_id = $1 ORDER BY id");
    REQUIRE(rows.size() == 40);
    for (const auto& r : rows) {
      const int key = std::stoi(r.text("id").substr(1));
      const int last = key < 20 ? key + 40 : key;  // keys 0..19 were written twice
      INFO(r.text("id"));
      const std::string kind[] = {"customer", "42", "0.5"};
      CHECK(r.text("kind") == kind[last % 3]);
      const double amount[] = {1.25, 2.5, 3.0, 0.0, -400.0};
      if (last % 5 == 3) CHECK(r.is_null("amount"));
      else CHECK(r.real("amount") == amount[last % 5]);
      CHECK(r.real("compliance_score") == (last < 40 ? 0.0 : 1.0));
    }
  }
}

TEST_CASE("bulk chunks sent while writing are visible to statements in between - a failing chunk fails the transaction") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    BulkSpec spec{"transactions", {"id", "kind", "counterparty", "source", "sanctions_status", "compliance_score", "screened_at", "lists_hash"}, {}, {}};
    // Rows of about 2 kB, so a few thousand of them span several of the
    // PostgreSQL writer's chunks, whose INSERT runs while rows are added.
    const std::string wide(2000, 'x');
    auto row = [&](int i) {
      return Params{"W" + std::to_string(i), std::string("customer"), wide, std::string("f.csv"), std::string("CLEAR"), 0.0,
                    std::string("2026-01-01T00:00:00Z"), std::string("h")};
    };
    s->transaction([&] {
      auto w = s->bulk(spec);
      for (int i = 0; i < 6000; ++i) {
        if (i == 4500) {
          auto seen = std::get<int64_t>(*s->scalar("SELECT count(*) FROM transactions WHERE tenant_id = $1"));
          CHECK(seen > 0);
          CHECK(seen <= 4500);
        }
        w->add(row(i));
      }
      w->flush();
    });
    CHECK(std::get<int64_t>(*s->scalar("SELECT count(*) FROM transactions WHERE tenant_id = $1")) == 6000);
    // A key that exists already, early in the batch: the error surfaces from
    // a later add() or from flush(), and nothing of the batch stays.
    CHECK_THROWS_AS(s->transaction([&] {
      auto w = s->bulk(spec);
      w->add(row(100000));
      w->add(row(3));
      for (int i = 100001; i < 106000; ++i) w->add(row(i));
      w->flush();
    }),
                    DatabaseError);
    CHECK(std::get<int64_t>(*s->scalar("SELECT count(*) FROM transactions WHERE tenant_id = $1")) == 6000);
  }
}

TEST_CASE("one_of selects rows by a list of keys, quotes and non-ASCII included") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    std::vector<std::string> ids = {"plain", "it's \"quoted\"", "Zürich ⟨x⟩", "back\\slash", "missing"};
    s->transaction([&] {
      auto w = s->bulk({"transactions", {"id", "kind", "counterparty", "source", "sanctions_status", "compliance_score", "screened_at", "lists_hash"}, {}, {}});
      for (size_t i = 0; i + 1 < ids.size(); ++i)
        w->add({ids[i], std::string("customer"), std::string("n"), std::string("f"), std::string("CLEAR"), double(i),
                std::string("2026-01-01T00:00:00Z"), std::string("h")});
      w->add({std::string("other"), std::string("customer"), std::string("n"), std::string("f"), std::string("CLEAR"), 9.0,
              std::string("2026-01-01T00:00:00Z"), std::string("h")});
      w->flush();
    });
    Params params{std::string("CLEAR")};
    std::string sql = "SELECT id FROM transactions WHERE tenant_id = $1 AND sanctions_status = $2 AND " +
                      s->one_of("id", ids, params) + " ORDER BY compliance_score";
    auto rows = s->query(sql, params);
    REQUIRE(rows.size() == 4);
    for (size_t i = 0; i < 4; ++i) CHECK(rows[i].text(0) == ids[i]);
    Params none;
    CHECK(s->query("SELECT id FROM transactions WHERE tenant_id = $1 AND " + s->one_of("id", {}, none), none).size() == 0);
  }
}

TEST_CASE("streaming reads visit every row") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    Ledger ledger(*s);
    s->transaction([&] {
      for (int i = 0; i < 50; ++i) ledger.start("t", "a", std::to_string(i), "2026-01-01T00:00:00Z", "h", 1);
    });
    int64_t sum = 0, n = 0;
    s->for_each("SELECT arguments FROM job_runs WHERE tenant_id = $1", {}, [&](const Row& r) {
      sum += std::stoll(r.text("arguments"));
      ++n;
    });
    CHECK(n == 50);
    CHECK(sum == 49 * 50 / 2);
  }
}

TEST_CASE("audit rows inside a transaction are chained at its commit and vanish with its rollback") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto acme = db->session("acme");
    auto globex = db->session("globex");
    auto count = [&](Session& s) { return std::get<int64_t>(*s.scalar("SELECT count(*) FROM audit_log WHERE tenant_id = $1")); };
    CHECK_THROWS_AS(acme->transaction([&] {
                      acme->audit("alice", "decide", "match", "1", "{}");
                      acme->audit("alice", "decide", "match", "2", "{}");
                      throw DataError("a bad row");
                    }),
                    DataError);
    CHECK(count(*acme) == 0);
    acme->audit("alice", "decide", "match", "0", "{}");
    // Two tenants' entries interleaved in one transaction: each chain stays whole.
    acme->transaction([&] {
      for (int i = 1; i <= 3; ++i) {
        acme->audit("alice", "decide", "match", std::to_string(i), "{}");
        globex->audit("bob", "decide", "match", std::to_string(i), "{}");
      }
      CHECK(count(*acme) == 1);  // not yet: written at the commit
    });
    CHECK(count(*acme) == 4);
    CHECK(count(*globex) == 3);
    auto order = acme->query("SELECT object_id FROM audit_log WHERE tenant_id = $1 ORDER BY seq");
    REQUIRE(order.size() == 4);
    for (int i = 0; i < 4; ++i) CHECK(order[static_cast<size_t>(i)].text(0) == std::to_string(i));
    CHECK(verify_audit(*acme).ok);
    CHECK(verify_audit(*globex).ok);
  }
}

TEST_CASE("the audit chain verifies, and catches an edited and a deleted row") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    for (int i = 0; i < 5; ++i) s->audit("alice", "decide", "match", std::to_string(i), "{\"status\":\"CLEAR\"}");
    db->session("globex")->audit("bob", "decide", "match", "x", "{}");
    auto v = verify_audit(*s);
    CHECK(v.ok);
    CHECK(v.rows == 5);

    // Tamper behind the tools' back, as the owner (the app role may not UPDATE/DELETE audit_log).
    std::unique_ptr<Database> owner;
    if (test::is_postgres_url(url)) {
      std::string owner_url = url;
      // Even the table owner is held by FORCEd row-level security; only a superuser gets past it.
      owner_url.replace(owner_url.find("user=opskit_app password=app-pw"), 31, "user=postgres");
      owner = Database::open(owner_url);
      CHECK_THROWS_AS(s->exec("UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = $1 AND seq = 3"), DatabaseError);
    }
    Database& admin = owner ? *owner : *db;
    admin.exec_script("UPDATE audit_log SET details = '{\"status\":\"BLOCKED\"}' WHERE tenant_id = 'acme' AND seq = 3");
    v = verify_audit(*s);
    CHECK_FALSE(v.ok);
    CHECK(v.first_bad_seq == 3);
    CHECK(v.reason.find("changed") != std::string::npos);

    admin.exec_script("UPDATE audit_log SET details = '{\"status\":\"CLEAR\"}' WHERE tenant_id = 'acme' AND seq = 3");
    CHECK(verify_audit(*s).ok);
    admin.exec_script("DELETE FROM audit_log WHERE tenant_id = 'acme' AND seq = 2");
    v = verify_audit(*s);
    CHECK_FALSE(v.ok);
    CHECK(v.first_bad_seq == 2);
    CHECK(verify_audit(*db->session("globex")).ok);
  }
}

TEST_CASE("two runs of one job for one tenant do not interleave") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db1 = open_with_tenants(url);
    auto db2 = Database::open(url);
    auto s1 = db1->session("acme");
    auto s2 = db2->session("acme");
    auto other = db2->session("globex");
    {
      JobLock first(*s1, "screen batch", 11, 0);
      try {
        JobLock second(*s2, "screen batch", 12, 0);
        FAIL("second lock was granted");
      } catch (const LockedError& e) {
        CHECK(std::string(e.what()).find("locked by run 11") != std::string::npos);
        CHECK(e.code() == ExitCode::locked);
      }
      CHECK_NOTHROW(JobLock(*s2, "screen rescreen", 13, 0));  // another job
      CHECK_NOTHROW(JobLock(*other, "screen batch", 14, 0));  // another tenant
    }
    // Released: the second run now gets it; and a waiting run gets it when the first ends.
    CHECK_NOTHROW(JobLock(*s2, "screen batch", 15, 0));
    auto held = std::make_unique<JobLock>(*s1, "screen batch", 16, 0);
    std::thread releaser([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      held.reset();
    });
    CHECK_NOTHROW(JobLock(*s2, "screen batch", 17, 10));
    releaser.join();
  }
}

TEST_CASE("a batch killed with SIGKILL mid-write leaves the database as it was") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    Ledger(*s).start("before", "x", "", "2026-01-01T00:00:00Z", "h", 1);
    std::string cmd = std::string(STORE_BATCH_WRITER) + " '" + url + "' acme 20000";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p);
    char line[64] = {0};
    REQUIRE(fgets(line, sizeof line, p));
    int pid = 0;
    REQUIRE(std::sscanf(line, "mid-write %d", &pid) == 1);
    REQUIRE(::kill(pid, SIGKILL) == 0);
    pclose(p);
    auto fresh = Database::open(url);
    auto s2 = fresh->session("acme");
    CHECK(std::get<int64_t>(*s2->scalar("SELECT count(*) FROM job_runs WHERE tenant_id = $1")) == 1);
  }
}

TEST_CASE("bulk inserts unless stored report the rows skipped, batch by batch") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(backend_name(url));
    auto db = open_with_tenants(url);
    auto s = db->session("acme");
    const std::vector<std::string> columns = {"id", "kind", "counterparty", "source", "sanctions_status", "compliance_score",
                                              "screened_at", "lists_hash"};
    auto row = [](const std::string& id, const char* status) {
      return Params{id, std::string("transaction"), std::string("Name"), std::string("f.csv"), std::string(status), 0.0,
                    std::string("2026-01-01T00:00:00Z"), std::string("h")};
    };
    // Stored before: S0..S63 (one whole SQLite statement) and every third E;
    // globex holds E1, which acme must not see as stored.
    s->transaction([&] {
      auto w = s->bulk({"transactions", columns, {}, {}});
      for (int i = 0; i < 64; ++i) w->add(row("S" + std::to_string(i), "OLD"));
      for (int i = 0; i < 300; i += 3) w->add(row("E" + std::to_string(i), "OLD"));
      w->flush();
    });
    auto g = db->session("globex");
    g->transaction([&] {
      auto w = g->bulk({"transactions", columns, {}, {}});
      w->add(row("E1", "OLD"));
      w->flush();
    });
    CHECK_THROWS_AS(s->bulk({"transactions", columns, {"id"}, {"kind"}, true}), InternalError);
    s->transaction([&] {
      auto w = s->bulk({"transactions", columns, {"id"}, {}, true});
      // All stored, then mixed, then all new: 64 + 300 + 128 rows.
      std::vector<uint64_t> expected;
      uint64_t n = 0;
      for (int i = 0; i < 64; ++i, ++n) {
        w->add(row("S" + std::to_string(i), "NEW"));
        expected.push_back(n);
      }
      for (int i = 0; i < 300; ++i, ++n) {
        w->add(row("E" + std::to_string(i), "NEW"));
        if (i % 3 == 0) expected.push_back(n);
      }
      for (int i = 0; i < 128; ++i, ++n) w->add(row("F" + std::to_string(i), "NEW"));
      w->flush();
      CHECK(w->existing() == expected);
      // The next batch counts from its own first row; a key given twice is
      // written by its first row.
      w->add(row("N0", "NEW"));
      w->add(row("E3", "NEW"));
      w->add(row("N1", "NEW"));
      w->add(row("N0", "AGAIN"));
      w->add(row("F5", "NEW"));
      w->flush();
      CHECK(w->existing() == std::vector<uint64_t>{1, 3, 4});
    });
    auto count = [&](const char* where) {
      return std::get<int64_t>(*s->scalar(std::string("SELECT count(*) FROM transactions WHERE tenant_id = $1 AND ") + where));
    };
    // A NULL for a NOT NULL column still fails the batch, naming the column.
    try {
      s->transaction([&] {
        auto w = s->bulk({"transactions", columns, {"id"}, {}, true});
        auto bad = row("X1", "NEW");
        bad[1] = nullptr;
        w->add(row("X0", "NEW"));
        w->add(bad);
        w->flush();
      });
      FAIL("a NULL kind was accepted");
    } catch (const DatabaseError& e) {
      CHECK(std::string(e.what()).find("kind") != std::string::npos);
    }
    CHECK(count("id IN ('X0', 'X1')") == 0);
    CHECK(count("sanctions_status = 'OLD'") == 164);  // stored rows left as they were
    CHECK(count("sanctions_status = 'NEW'") == 200 + 128 + 2);
    CHECK(count("id = 'E1'") == 1);
  }
}
