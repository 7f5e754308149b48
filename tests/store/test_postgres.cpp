// PostgreSQL-only guarantees: row-level security against hand-written SQL
// through the app role, and clear errors for a wrong password and an
// unreachable server.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "pg_harness.hpp"
#include "store/ledger.hpp"
#include "store/store.hpp"

using namespace opskit;
using namespace opskit::store;

TEST_CASE("postgres: tenant A cannot see or change tenant B's rows, even with hand-written SQL") {
  if (auto why = test::pg_unavailable()) {
    WARN(*why);
    return;
  }
  auto pg = test::pg_fresh_database(true);
  auto db = Database::open(pg.app_url);
  db->add_tenant("acme", "Acme");
  db->add_tenant("globex", "Globex");
  Ledger(*db->session("globex")).start("screen", "batch", "secret", "2026-01-01T00:00:00Z", "h", 1);
  auto a = db->session("acme");
  // No tenant filter at all: RLS still hides globex's rows.
  CHECK(std::get<int64_t>(*a->scalar("SELECT count(*) FROM job_runs")) == 0);
  CHECK(a->exec("UPDATE job_runs SET status = 'tampered'") == 0);
  CHECK(a->exec("DELETE FROM job_runs") == 0);
  // Writing a row for another tenant is refused by the policy's WITH CHECK.
  CHECK_THROWS_AS(a->exec("INSERT INTO job_runs (tenant_id, tool, subcommand, arguments, started_at, status, host, pid) "
                          "VALUES ('globex', 't', 's', '', 'x', 'ok', 'h', 1)"),
                  DatabaseError);
  // Switching the setting by hand inside the session is the only way across, and it needs
  // the tenant's id: the app role itself bypasses nothing.
  auto super = Database::open(pg.super_url + " dbname=" + pg.name);
  auto rows = db->session("globex")->query("SELECT count(*) AS n FROM job_runs");
  CHECK(rows[0].integer("n") == 1);
  auto role = Database::open(pg.app_url);
  auto acme2 = role->session("acme");
  CHECK(std::get<int64_t>(*acme2->scalar("SELECT count(*) FROM job_runs WHERE status = 'ok'")) == 0);
  auto bypass = acme2->query("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user");
  CHECK(bypass[0].integer(0) == 0);
  CHECK(bypass[0].integer(1) == 0);
}

TEST_CASE("postgres: a wrong password and an unreachable server are database errors without the secret") {
  if (auto why = test::pg_unavailable()) {
    WARN(*why);
    return;
  }
  auto pg = test::pg_fresh_database(false);
  std::string wrong = pg.app_url;
  wrong.replace(wrong.find("password=app-pw"), 15, "password=nope-secret");
  try {
    Database::open(wrong);
    FAIL("connected with a wrong password");
  } catch (const DatabaseError& e) {
    std::string msg = e.what();
    CHECK(msg.find("password authentication failed") != std::string::npos);
    CHECK(msg.find("nope-secret") == std::string::npos);
    CHECK(e.code() == ExitCode::database);
  }
  CHECK_THROWS_AS(Database::open("host=/nonexistent-socket-dir dbname=x user=y connect_timeout=2"), DatabaseError);
  CHECK(redact_url("postgresql://u:hunter2@db.example/x") == "postgresql://u:***@db.example/x");
}
