// SQLite backend: WAL, busy timeout, a cache of prepared statements,
// BEGIN IMMEDIATE write transactions, $N parameters bound by name.
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "connection.hpp"

namespace opskit::store {
namespace {

class SqliteConnection : public Connection {
 public:
  explicit SqliteConnection(const std::string& path) : path_(path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw DatabaseError("cannot open SQLite database '" + path + "': " + msg);
    }
    sqlite3_busy_timeout(db_, 30000);
    // 16 KiB pages (a new database only; an existing one keeps its size):
    // bulk writes of a million rows split, journal and checkpoint a quarter
    // as many pages as with the 4 KiB default (`make bench`).
    exec_script("PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;");
  }
  ~SqliteConnection() override {
    for (auto& [sql, s] : cache_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  sqlite3_stmt* prepare(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
      fail("prepare", key);
    cache_.emplace(std::move(key), s);
    return s;
  }

  // Binds one value to parameter `col`; `lifetime` is SQLITE_STATIC when the
  // string outlives the step (the bulk path), SQLITE_TRANSIENT otherwise.
  void bind_value(sqlite3_stmt* s, int col, const Value& v, sqlite3_destructor_type lifetime) {
    int rc;
    if (std::holds_alternative<std::nullptr_t>(v)) rc = sqlite3_bind_null(s, col);
    else if (auto p = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(s, col, *p);
    else if (auto d = std::get_if<double>(&v)) rc = sqlite3_bind_double(s, col, *d);
    else {
      const auto& str = std::get<std::string>(v);
      rc = sqlite3_bind_text(s, col, str.data(), static_cast<int>(str.size()), lifetime);
    }
    if (rc != SQLITE_OK) fail("bind", sqlite3_sql(s));
  }

  // The bulk path: one statement, positional parameters in order, strings
  // bound without a copy. `first` is the parameter number of params[0];
  // earlier bindings stay as they were.
  void step_positional(sqlite3_stmt* s, const Params& params, size_t count, int first = 1) {
    for (size_t i = 0; i < count; ++i) bind_value(s, static_cast<int>(i) + first, params[i], SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) fail("bulk insert", sqlite3_sql(s));
  }

  // Which of `params` each SQL parameter takes ($N may repeat or skip).
  // Computed once per statement: SQLite looks names up by a linear scan.
  const std::vector<size_t>& parameter_slots(sqlite3_stmt* s) {
    auto it = slots_.find(s);
    if (it != slots_.end()) return it->second;
    std::vector<size_t> slots;
    int n = sqlite3_bind_parameter_count(s);
    for (int i = 1; i <= n; ++i) {
      const char* name = sqlite3_bind_parameter_name(s, i);
      size_t idx = static_cast<size_t>(i - 1);
      if (name && (name[0] == '$' || name[0] == '?' || name[0] == ':')) idx = static_cast<size_t>(std::atoi(name + 1) - 1);
      slots.push_back(idx);
    }
    return slots_.emplace(s, std::move(slots)).first->second;
  }

  void bind(sqlite3_stmt* s, const Params& params) {
    const auto& slots = parameter_slots(s);
    for (size_t i = 0; i < slots.size(); ++i) {
      size_t idx = slots[i];
      if (idx >= params.size()) throw InternalError("statement wants parameter " + std::to_string(idx + 1) + ", only " + std::to_string(params.size()) + " given: " + sqlite3_sql(s));
      bind_value(s, static_cast<int>(i) + 1, params[idx], SQLITE_TRANSIENT);
    }
  }


  [[noreturn]] void fail(const char* what, const std::string& sql) {
    std::string msg = sqlite3_errmsg(db_);
    int code = sqlite3_extended_errcode(db_);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) throw DatabaseError("SQLite database '" + path_ + "' is busy (locked by another process): " + msg);
    std::string first = sql.substr(0, 120);
    throw DatabaseError("SQLite " + std::string(what) + " failed: " + msg + " [" + first + "]");
  }

  static std::shared_ptr<std::vector<std::string>> column_names(sqlite3_stmt* s) {
    auto names = std::make_shared<std::vector<std::string>>();
    for (int i = 0; i < sqlite3_column_count(s); ++i) names->emplace_back(sqlite3_column_name(s, i));
    return names;
  }

  static Value column(sqlite3_stmt* s, int i) {
    switch (sqlite3_column_type(s, i)) {
      case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_column_int64(s, i));
      case SQLITE_FLOAT: return sqlite3_column_double(s, i);
      case SQLITE_NULL: return nullptr;
      default: {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        return std::string(t ? t : "", static_cast<size_t>(sqlite3_column_bytes(s, i)));
      }
    }
  }

  void run(std::string_view sql, const Params& params, const std::function<void(sqlite3_stmt*)>& on_row) {
    sqlite3_stmt* s = prepare(sql);
    bind(s, params);
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        if (on_row) on_row(s);
        continue;
      }
      if (rc == SQLITE_DONE) break;
      std::string text(sql);
      sqlite3_reset(s);
      fail("statement", text);
    }
    sqlite3_reset(s);
  }

  Rows query(std::string_view sql, const Params& params, bool) override {
    Rows out;
    std::shared_ptr<std::vector<std::string>> names;
    run(sql, params, [&](sqlite3_stmt* s) {
      int n = sqlite3_column_count(s);
      if (!names) names = column_names(s);
      std::vector<Value> cells;
      cells.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) cells.push_back(column(s, i));
      out.rows.emplace_back(names, std::move(cells));
    });
    if (!names) names = column_names(prepare(sql));
    out.columns = *names;
    return out;
  }

  int64_t exec(std::string_view sql, const Params& params, bool) override {
    run(sql, params, nullptr);
    return sqlite3_changes64(db_);
  }

  void for_each(std::string_view sql, const Params& params, bool, const std::function<void(const Row&)>& fn) override {
    std::shared_ptr<std::vector<std::string>> names;
    run(sql, params, [&](sqlite3_stmt* s) {
      int n = sqlite3_column_count(s);
      if (!names) names = column_names(s);
      std::vector<Value> cells;
      cells.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) cells.push_back(column(s, i));
      fn(Row(names, std::move(cells)));
    });
  }

  void exec_script(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw DatabaseError("SQLite: " + msg);
    }
  }

  void begin() override { exec_script("BEGIN IMMEDIATE"); }
  void commit() override { exec_script("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  std::unique_ptr<BulkWriter> bulk(const BulkSpec& spec, const std::string& tenant) override;

  int64_t changes() const { return sqlite3_changes64(db_); }
  int64_t last_rowid() const { return sqlite3_last_insert_rowid(db_); }

  void set_tenant(const std::string&) override {}
  void lock_audit_chain(const std::string&) override {}  // BEGIN IMMEDIATE already serialises writers
  bool try_job_lock(const std::string&) override { return true; }
  void release_job_lock(const std::string&) override {}

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  std::unordered_map<sqlite3_stmt*, std::vector<size_t>> slots_;  // of cached statements
};

// Rows are buffered and written kRowsPerStatement at a time by one
// multi-row INSERT ... ON CONFLICT: one statement start, one set of open
// cursors and one VDBE run per chunk instead of per row. Runs inside the
// caller's transaction, or its own one committed at flush().
class SqliteBulk : public BulkWriter {
 public:
  SqliteBulk(SqliteConnection& c, const BulkSpec& spec, const std::string& tenant) : c_(c), spec_(spec), tenant_(tenant) {
    columns_ = spec.columns.size();
    // SQLite allows 32766 parameters per statement; stay well inside it.
    rows_per_statement_ = std::max<size_t>(1, std::min<size_t>(kRowsPerStatement, 30000 / (columns_ + 1)));
    pending_.resize(rows_per_statement_ * columns_);
    if (!spec_.conflict.empty() && spec_.update.empty()) plan_or_ignore();
    full_ = c_.prepare(insert_sql(rows_per_statement_));
    if (spec_.report_existing) prepare_existing();
    if (c_.tx_depth == 0) {
      c_.begin();
      own_tx_ = true;
    }
  }
  ~SqliteBulk() override {
    if (own_tx_) c_.rollback();
  }
  void add(const Params& row) override {
    if (row.size() != columns_) throw InternalError("bulk row has " + std::to_string(row.size()) + " values, expected " + std::to_string(columns_));
    if (flushed_) {  // a new batch: existing() counts from here
      flushed_ = false;
      base_ = count_;
      existing_.clear();
    }
    for (size_t i : not_null_)
      if (std::holds_alternative<std::nullptr_t>(row[i]))
        throw DatabaseError("SQLite bulk insert failed: NOT NULL constraint failed: " + spec_.table + "." + spec_.columns[i]);
    // Assigning into the kept slots reuses their string buffers: no
    // allocation per row once the buffer is warm.
    std::copy(row.begin(), row.end(), pending_.begin() + static_cast<std::ptrdiff_t>(buffered_ * columns_));
    ++count_;
    if (++buffered_ == rows_per_statement_) write_buffered();
  }
  void flush() override {
    write_buffered();
    flushed_ = true;
    if (own_tx_) {
      c_.commit();
      own_tx_ = false;
    }
  }
  uint64_t count() const override { return count_; }
  const std::vector<uint64_t>& existing() const override { return existing_; }

 private:
  static constexpr size_t kRowsPerStatement = 64;

  // The rowid column when the table has one by name (INTEGER PRIMARY KEY).
  std::string rowid_column() {
    for (const auto& r : c_.query("SELECT name FROM pragma_table_info($1) WHERE pk = 1 AND upper(type) = 'INTEGER' "
                                  "AND (SELECT count(*) FROM pragma_table_info($1) WHERE pk > 0) = 1",
                                  {spec_.table}, false))
      return r.text(0);
    return {};
  }

  // A DO NOTHING insert is written INSERT OR IGNORE when nothing but a
  // stored key can make SQLite skip a row: then no statement can fail half
  // way, and SQLite keeps no statement journal (a copy of every page each
  // statement touches, to undo that statement alone; our callers roll back
  // the whole transaction on any error anyway). NOT NULL is checked in add()
  // instead. Not for tables with a CHECK, another unique key, a written
  // rowid column or a NOT NULL column without a default left unwritten.
  void plan_or_ignore() {
    auto table = c_.query("SELECT upper(sql) FROM sqlite_master WHERE type = 'table' AND name = $1", {spec_.table}, false);
    if (table.empty() || table[0].text(0).find("CHECK") != std::string::npos) return;
    const std::string rowid = rowid_column();
    if (!rowid.empty() && std::find(spec_.columns.begin(), spec_.columns.end(), rowid) != spec_.columns.end()) return;
    auto uniques = c_.query("SELECT name FROM pragma_index_list($1) WHERE \"unique\" = 1", {spec_.table}, false);
    if (uniques.size() != 1) return;
    std::vector<std::string> key;
    for (const auto& r : c_.query("SELECT name FROM pragma_index_info($1) ORDER BY seqno", {uniques[0].text(0)}, false))
      key.push_back(r.text(0));
    std::vector<std::string> wanted = {"tenant_id"};
    wanted.insert(wanted.end(), spec_.conflict.begin(), spec_.conflict.end());
    if (key != wanted) return;
    for (const auto& r : c_.query("SELECT name, \"notnull\", dflt_value IS NULL FROM pragma_table_info($1)", {spec_.table}, false)) {
      if (r.integer(1) == 0 || r.text(0) == "tenant_id" || r.text(0) == rowid) continue;
      auto at = std::find(spec_.columns.begin(), spec_.columns.end(), r.text(0));
      if (at != spec_.columns.end()) not_null_.push_back(static_cast<size_t>(at - spec_.columns.begin()));
      else if (r.integer(2) != 0) return;  // SQLite would refuse every row
    }
    or_ignore_ = true;
  }

  // Which rows a DO NOTHING statement skipped, from its change count: none
  // or all in the common cases; otherwise the rows it inserted are the ones
  // with the newest rowids (SQLite gives each new row the largest rowid + 1),
  // read back by key.
  void prepare_existing() {
    require_report_existing_shape(spec_);
    const std::string rowid = rowid_column();
    if (!rowid.empty() && std::find(spec_.columns.begin(), spec_.columns.end(), rowid) != spec_.columns.end())
      throw InternalError("bulk existing-row report on " + spec_.table + " cannot take its rowid column " + rowid);
    for (const auto& k : spec_.conflict) {
      auto at = std::find(spec_.columns.begin(), spec_.columns.end(), k);
      if (at == spec_.columns.end()) throw InternalError("bulk conflict key " + k + " is not among the columns of " + spec_.table);
      key_columns_.push_back(static_cast<size_t>(at - spec_.columns.begin()));
    }
    inserted_sql_ = "SELECT ";
    for (size_t i = 0; i < spec_.conflict.size(); ++i) inserted_sql_ += (i ? ", " : "") + spec_.conflict[i];
    inserted_sql_ += " FROM " + spec_.table + " WHERE rowid > $1 AND rowid <= $2";  // fails at once on a WITHOUT ROWID table
    c_.prepare(inserted_sql_);
  }

  static void append_key(std::string& key, const Value& v) {
    if (auto str = std::get_if<std::string>(&v)) key += *str;
    else if (auto n = std::get_if<int64_t>(&v)) key += std::to_string(*n);
    else if (auto d = std::get_if<double>(&v)) key += std::to_string(*d);
    key.push_back('\x1f');
  }

  void note_existing(size_t rows) {
    const uint64_t first = count_ - buffered_ - base_;  // batch position of the statement's first row
    const int64_t inserted = c_.changes();
    if (inserted == static_cast<int64_t>(rows)) return;
    if (inserted == 0) {
      for (size_t r = 0; r < rows; ++r) existing_.push_back(first + r);
      return;
    }
    const int64_t last = c_.last_rowid();
    std::unordered_set<std::string> written;
    for (const auto& row : c_.query(inserted_sql_, {last - inserted, last}, false)) {
      std::string key;
      for (size_t i = 0; i < row.size(); ++i) append_key(key, row[i]);
      written.insert(std::move(key));
    }
    if (static_cast<int64_t>(written.size()) != inserted)
      throw InternalError("bulk insert into " + spec_.table + ": the rows it wrote could not be told apart");
    // A key the statement holds twice was written by its first row only.
    for (size_t r = 0; r < rows; ++r) {
      std::string key;
      for (size_t i : key_columns_) append_key(key, pending_[r * columns_ + i]);
      if (!written.erase(key)) existing_.push_back(first + r);
    }
  }

  std::string insert_sql(size_t rows) const {
    std::string sql = (or_ignore_ ? "INSERT OR IGNORE INTO " : "INSERT INTO ") + spec_.table + " (tenant_id";
    for (auto& col : spec_.columns) sql += ", " + col;
    sql += ") VALUES ";
    int param = 2;  // $1 is the tenant, shared by every row
    for (size_t r = 0; r < rows; ++r) {
      sql += r ? ", ($1" : "($1";
      for (size_t i = 0; i < columns_; ++i) sql += ", $" + std::to_string(param++);
      sql += ")";
    }
    if (!spec_.conflict.empty() && !or_ignore_) {
      sql += " ON CONFLICT (tenant_id";
      for (auto& k : spec_.conflict) sql += ", " + k;
      sql += ") DO ";
      if (spec_.update.empty()) sql += "NOTHING";
      else {
        sql += "UPDATE SET ";
        for (size_t i = 0; i < spec_.update.size(); ++i) sql += (i ? ", " : "") + spec_.update[i] + " = excluded." + spec_.update[i];
      }
    }
    return sql;
  }

  void write_buffered() {
    if (buffered_ == 0) return;
    // The full-chunk statement is kept; the last, shorter chunk of a batch
    // goes through the connection's statement cache.
    sqlite3_stmt* stmt = buffered_ == rows_per_statement_ ? full_ : c_.prepare(insert_sql(buffered_));
    sqlite3_bind_text(stmt, 1, tenant_.data(), static_cast<int>(tenant_.size()), SQLITE_STATIC);
    c_.step_positional(stmt, pending_, buffered_ * columns_, 2);
    if (spec_.report_existing) note_existing(buffered_);
    buffered_ = 0;
  }

  SqliteConnection& c_;
  BulkSpec spec_;
  std::string tenant_;
  size_t columns_ = 0;
  size_t rows_per_statement_ = 1;
  sqlite3_stmt* full_ = nullptr;  // owned by the connection's cache
  Params pending_;       // rows_per_statement_ rows of columns_ values
  size_t buffered_ = 0;  // rows waiting in pending_
  bool own_tx_ = false;
  uint64_t count_ = 0;
  bool or_ignore_ = false;          // see plan_or_ignore
  std::vector<size_t> not_null_;     // with or_ignore_: columns checked in add()
  // report_existing
  std::vector<size_t> key_columns_;  // positions of the conflict keys in a row
  std::string inserted_sql_;         // keys of the rows with rowids in ($1, $2]
  std::vector<uint64_t> existing_;
  uint64_t base_ = 0;                // count_ when the current batch began
  bool flushed_ = false;
};

std::unique_ptr<BulkWriter> SqliteConnection::bulk(const BulkSpec& spec, const std::string& tenant) {
  return std::make_unique<SqliteBulk>(*this, spec, tenant);
}

}  // namespace

std::shared_ptr<Connection> open_sqlite(const std::string& path) { return std::make_shared<SqliteConnection>(path); }

}  // namespace opskit::store
