#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "connection.hpp"
#include "core/runtime.hpp"
#include "migrations.hpp"
#include "store/store.hpp"

namespace opskit::store {

std::string redact_url(const std::string& url) {
  std::string out = url;
  // postgresql://user:secret@host -> postgresql://user:***@host
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto at = out.find('@', scheme + 3);
    auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // password=secret in conninfo strings or query parameters
  for (const char* key : {"password=", "PASSWORD="}) {
    size_t pos = 0;
    while ((pos = out.find(key, pos)) != std::string::npos) {
      size_t start = pos + std::string(key).size();
      size_t end = out.find_first_of(" &", start);
      if (end == std::string::npos) end = out.size();
      out.replace(start, end - start, "***");
      pos = start + 3;
    }
  }
  return out;
}

static bool is_postgres(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0 || url.find('=') != std::string::npos;
}

std::unique_ptr<Database> Database::open(const std::string& url) {
  std::string redacted = redact_url(url);
  std::shared_ptr<Connection> c;
  if (is_postgres(url)) c = open_postgres(url, redacted);
  else c = open_sqlite(url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url);
  return std::unique_ptr<Database>(new Database(std::move(c), redacted));
}

Database::~Database() = default;

Dialect Database::dialect() const { return conn_->dialect(); }

void Database::exec_script(const std::string& sql) { conn_->exec_script(sql); }

static const char* kMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

static std::set<int> applied_versions(Connection& c, bool& table_exists) {
  std::set<int> out;
  const char* probe = c.dialect() == Dialect::sqlite
                          ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
                          : "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'";
  auto r = c.query(probe, {}, false);
  table_exists = r[0].integer(0) > 0;
  if (!table_exists) return out;
  for (const auto& row : c.query("SELECT version FROM schema_migrations", {}, false)) out.insert(static_cast<int>(row.integer(0)));
  return out;
}

MigrationStatus Database::migration_status() {
  MigrationStatus st;
  bool exists = false;
  auto applied = applied_versions(*conn_, exists);
  st.current = applied.empty() ? 0 : *applied.rbegin();
  for (const auto& m : embedded_migrations()) {
    st.expected = std::max(st.expected, m.number);
    if (!applied.count(m.number)) st.pending.emplace_back(m.number, m.name);
  }
  return st;
}

int Database::migrate() {
  bool pg = dialect() == Dialect::postgres;
  // One migrator at a time on a shared server.
  if (pg) conn_->exec_script("SELECT pg_advisory_lock(7262051)");
  int applied_now = 0;
  try {
    conn_->exec_script(kMigrationsTable);
    bool exists = false;
    auto applied = applied_versions(*conn_, exists);
    for (const auto& m : embedded_migrations()) {
      if (applied.count(m.number)) continue;
      conn_->begin();
      try {
        conn_->exec_script(expand_migration(m.sql, dialect()));
        conn_->exec(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            {static_cast<int64_t>(m.number), std::string(m.name), format_iso8601(static_cast<int64_t>(std::time(nullptr)))},
            false);
        conn_->commit();
      } catch (const Error& e) {
        conn_->rollback();
        throw DatabaseError("migration " + std::string(m.name) + " failed: " + e.what());
      }
      ++applied_now;
    }
  } catch (...) {
    if (pg) conn_->exec_script("SELECT pg_advisory_unlock(7262051)");
    throw;
  }
  if (pg) conn_->exec_script("SELECT pg_advisory_unlock(7262051)");
  return applied_now;
}

void Database::require_current_schema() {
  bool exists = false;
  auto applied = applied_versions(*conn_, exists);
  if (!exists)
    throw DatabaseError("database " + url_redacted_ + " has no opskit schema yet; run: opskit db migrate --db " + url_redacted_);
  std::set<int> known;
  for (const auto& m : embedded_migrations()) known.insert(m.number);
  for (int v : applied)
    if (!known.count(v))
      throw DatabaseError("database schema version " + std::to_string(v) +
                          " is newer than this binary knows; upgrade opskit before using this database");
  for (int v : known)
    if (!applied.count(v))
      throw DatabaseError("database schema is behind this binary (migration " + std::to_string(v) +
                          " not applied); run: opskit db migrate --db " + url_redacted_);
}

void Database::grant_app_role(const std::string& role) {
  if (dialect() != Dialect::postgres) return;
  for (char c : role)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_')) throw UsageError("role name must be letters, digits and _");
  std::string q = "\"" + role + "\"";
  conn_->exec_script(
      "GRANT USAGE ON SCHEMA public TO " + q + ";"
      "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + q + ";"
      "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + q + ";"
      // The audit log is append-only for the tools; the migrations ledger is read-only.
      "REVOKE UPDATE, DELETE ON audit_log FROM " + q + ";"
      "REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM " + q + ";"
      "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + q + ";"
      "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO " + q + ";");
}

std::vector<Tenant> Database::tenants() {
  std::vector<Tenant> out;
  for (const auto& r : conn_->query("SELECT id, name, created_at FROM tenants ORDER BY id", {}, false))
    out.push_back({r.text(0), r.text(1), r.text(2)});
  return out;
}

void Database::add_tenant(const std::string& id, const std::string& name) {
  if (id.empty() || id.size() > 64) throw UsageError("tenant id must be 1-64 characters");
  for (char c : id)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      throw UsageError("tenant id '" + id + "' may only hold letters, digits, '-', '_' and '.'");
  auto existing = conn_->query("SELECT id FROM tenants WHERE id = $1", {id}, false);
  if (!existing.empty()) throw DataError("tenant '" + id + "' already exists");
  conn_->exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)",
              {id, name, format_iso8601(static_cast<int64_t>(std::time(nullptr)))}, false);
}

std::unique_ptr<Session> Database::session(const std::string& tenant) {
  auto known_list = [&] {
    std::string list;
    for (auto& t : tenants()) list += (list.empty() ? "" : ", ") + t.id;
    return list.empty() ? std::string("none (create one with: opskit tenant add ID --name NAME)") : list;
  };
  if (tenant.empty())
    throw UsageError("no tenant given (--tenant or OPSKIT_TENANT); known tenants: " + known_list());
  auto r = conn_->query("SELECT id FROM tenants WHERE id = $1", {tenant}, false);
  if (r.empty()) throw DataError("unknown tenant '" + tenant + "'; known tenants: " + known_list());
  conn_->set_tenant(tenant);
  conn_->current_tenant = tenant;
  return std::make_unique<Session>(conn_, tenant);
}

}  // namespace opskit::store
