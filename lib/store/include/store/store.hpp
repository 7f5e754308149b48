#pragma once
// The tenant database: one interface, two backends chosen by the URL.
//   - a file path (default ./opskit.db) or sqlite:PATH: SQLite, WAL, busy timeout
//   - postgresql://... , postgres://... or service=NAME (any libpq conninfo with '='): PostgreSQL
//
// SQL is written once for both backends: parameters are $1, $2, ... (SQLite
// binds them by name), upserts use INSERT ... ON CONFLICT (...) DO UPDATE SET
// col = excluded.col, RETURNING works on both, timestamps are TEXT in
// ISO-8601 UTC ("2026-11-22T03:20:00Z") so they sort and compare as text.
//
// Tenant rows are reached only through a Session opened for one tenant. Every
// statement a Session runs gets the tenant id bound as $1; the caller's
// parameters start at $2. Always write `WHERE tenant_id = $1` / insert $1 into
// tenant_id. On PostgreSQL, row-level security enforces the same boundary
// (app.tenant_id is set on the connection), so a forgotten filter still
// cannot cross tenants there.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace opskit::store {

enum class Dialect { sqlite, postgres };

// A parameter or result cell.
using Value = std::variant<std::nullptr_t, int64_t, double, std::string>;
using Params = std::vector<Value>;
inline Value null() { return nullptr; }
// Convenience: an optional becomes NULL when empty.
inline Value opt(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }
inline Value opt(const std::optional<double>& d) { return d ? Value(*d) : Value(nullptr); }

class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> names, std::vector<Value> cells)
      : names_(std::move(names)), cells_(std::move(cells)) {}
  size_t size() const { return cells_.size(); }
  bool is_null(size_t i) const { return std::holds_alternative<std::nullptr_t>(cells_.at(i)); }
  // Conversions are lenient across backends (PostgreSQL returns text for numerics).
  int64_t integer(size_t i, int64_t fallback = 0) const;
  double real(size_t i, double fallback = 0) const;
  std::string text(size_t i, const std::string& fallback = {}) const;
  int64_t integer(std::string_view column, int64_t fallback = 0) const { return integer(index(column), fallback); }
  double real(std::string_view column, double fallback = 0) const { return real(index(column), fallback); }
  std::string text(std::string_view column, const std::string& fallback = {}) const { return text(index(column), fallback); }
  bool is_null(std::string_view column) const { return is_null(index(column)); }
  const Value& operator[](size_t i) const { return cells_.at(i); }
  size_t index(std::string_view column) const;  // throws InternalError when absent
  const std::vector<std::string>& names() const { return *names_; }

 private:
  std::shared_ptr<const std::vector<std::string>> names_;
  std::vector<Value> cells_;
};

class Rows {
 public:
  std::vector<std::string> columns;
  std::vector<Row> rows;
  bool empty() const { return rows.empty(); }
  size_t size() const { return rows.size(); }
  const Row& operator[](size_t i) const { return rows.at(i); }
  auto begin() const { return rows.begin(); }
  auto end() const { return rows.end(); }
};

// A bulk writer: rows go in through add(); flush() (or commit of the
// surrounding transaction) sends them. SQLite: one prepared statement reused.
// PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT with the
// same ON CONFLICT clause, so bulk loads are idempotent upserts on both.
class BulkWriter {
 public:
  virtual ~BulkWriter() = default;
  virtual void add(const Params& row) = 0;  // tenant_id is added automatically as the first column
  virtual void flush() = 0;
  virtual uint64_t count() const = 0;
  // With BulkSpec::report_existing: after flush(), the rows of the flushed
  // batch (0-based, in add() order since the previous flush) that were not
  // written because their key was already stored.
  virtual const std::vector<uint64_t>& existing() const = 0;
};

struct BulkSpec {
  std::string table;
  std::vector<std::string> columns;        // without tenant_id
  std::vector<std::string> conflict;       // natural key columns without tenant_id; empty = plain insert
  std::vector<std::string> update;         // columns to overwrite on conflict; empty = DO NOTHING
  // DO NOTHING only (conflict set, update empty, the table's rowid not among
  // the columns): existing() tells which rows were skipped, so "insert unless
  // stored" needs no lookup first. A key given twice is written by its first
  // row (unless stored) and the later one is reported.
  bool report_existing = false;
};

class Connection;

class Session {
 public:
  Session(std::shared_ptr<Connection> conn, std::string tenant);
  ~Session();
  const std::string& tenant() const { return tenant_; }
  Dialect dialect() const;

  // Runs a statement; the tenant is bound as $1. Returns result rows (if any).
  Rows query(std::string_view sql, const Params& params = {});
  // Runs a statement; returns rows changed.
  int64_t exec(std::string_view sql, const Params& params = {});
  // Streams result rows without holding them all (large exports, rescreens).
  void for_each(std::string_view sql, const Params& params, const std::function<void(const Row&)>& fn);
  // SQL for "COLUMN is one of `keys`" in a WHERE clause. The keys travel as one
  // JSON-array parameter, appended to `params` (its placeholder is numbered
  // after the tenant's $1): binding hundreds of parameters is slow, and on
  // PostgreSQL an IN list of a batch's keys is planned from statistics taken
  // before the batch grew the table, which turns every lookup into a scan.
  std::string one_of(std::string_view column, const std::vector<std::string>& keys, Params& params) const;
  // First column of the first row, or nullopt.
  std::optional<Value> scalar(std::string_view sql, const Params& params = {});

  // Runs `fn` inside one write transaction: commits when it returns, rolls
  // back when it throws (nothing half-written). Nested calls join the outer one.
  void transaction(const std::function<void()>& fn);
  std::unique_ptr<BulkWriter> bulk(const BulkSpec& spec);

  // Appends an audit-log row chained to the previous one by SHA-256.
  void audit(const std::string& actor, const std::string& action, const std::string& object_type,
             const std::string& object_id, const std::string& details_json);

  // The clock used for audit timestamps (the runner sets it from --now / OPSKIT_NOW).
  void set_clock_iso(std::function<std::string()> now) { now_ = std::move(now); }
  std::string now_iso() const;

 private:
  friend class JobLock;
  friend class Ledger;
  Connection& connection() { return *conn_; }
  std::shared_ptr<Connection> conn_;
  std::string tenant_;
  std::function<std::string()> now_;
};

struct Tenant {
  std::string id, name, created_at;
};

struct MigrationStatus {
  int current = 0;   // highest applied
  int expected = 0;  // highest this binary knows
  std::vector<std::pair<int, std::string>> pending;
};

// The database: opened from a URL; migrations, tenants, and sessions.
class Database {
 public:
  // Opens the database; throws DatabaseError naming the URL (passwords redacted).
  static std::unique_ptr<Database> open(const std::string& url);
  ~Database();
  Dialect dialect() const;
  const std::string& url_redacted() const { return url_redacted_; }

  MigrationStatus migration_status();
  // Applies pending migrations in one transaction each; returns how many.
  int migrate();
  // Throws DatabaseError (exit 4) unless the schema is exactly what this binary expects.
  void require_current_schema();
  // PostgreSQL: grants the app role what the tools need (no ownership, no BYPASSRLS).
  void grant_app_role(const std::string& role);

  std::vector<Tenant> tenants();
  void add_tenant(const std::string& id, const std::string& name);
  // Opens a session for one tenant; an unknown tenant throws DataError listing the known ones.
  std::unique_ptr<Session> session(const std::string& tenant);

  // Runs a multi-statement script as the connected role (migrations, grants). Admin only.
  void exec_script(const std::string& sql);

 private:
  Database(std::shared_ptr<Connection> c, std::string redacted) : conn_(std::move(c)), url_redacted_(std::move(redacted)) {}
  std::shared_ptr<Connection> conn_;
  std::string url_redacted_;
};

// "postgresql://u:secret@h/db" -> "postgresql://u:***@h/db"; password=... likewise.
std::string redact_url(const std::string& url);

}  // namespace opskit::store
