#pragma once
// The PostgreSQL test server: the ctest fixture pg_start runs
// tests/support/pg_cluster.sh, which starts a throw-away cluster on a Unix
// socket. Each test gets its own fresh database with two roles: an owner that
// runs migrations and an app role that owns nothing and bypasses nothing.
#include <optional>
#include <string>
#include <vector>

namespace opskit::test {

struct PgDatabase {
  std::string owner_url;  // conninfo as the owner (migrations)
  std::string app_url;    // conninfo as the app role (what the tools use)
  std::string super_url;  // superuser, for the harness only
  std::string name;
};

// Reason PostgreSQL tests must skip, or nullopt when the server is up.
std::optional<std::string> pg_unavailable();
// A fresh database (owner + app role with passwords), migrated and granted
// when `migrate` is set. Throws when the server is unavailable.
PgDatabase pg_fresh_database(bool migrate = true);

// The backends a store test runs against: "sqlite:<tmp file>" always, and a
// fresh PostgreSQL app URL when available. Use with Catch2 GENERATE.
std::vector<std::string> backend_urls(bool migrate = true);
// Whether a URL names PostgreSQL.
bool is_postgres_url(const std::string& url);

}  // namespace opskit::test
