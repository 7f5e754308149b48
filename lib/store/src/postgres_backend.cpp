// PostgreSQL backend through libpq: prepared statements cached per SQL text,
// results typed by column OID, single-row mode for streaming, COPY for bulk
// loads (into a temporary table, then one INSERT ... SELECT, because COPY FROM
// is refused on tables under row-level security), advisory locks.
#include <libpq-fe.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <unordered_map>

#include "connection.hpp"
#include "core/text.hpp"

namespace opskit::store {
namespace {

constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

struct Result {
  PGresult* r;
  explicit Result(PGresult* p) : r(p) {}
  ~Result() { PQclear(r); }
  Result(const Result&) = delete;
};

class PgConnection : public Connection {
 public:
  PgConnection(const std::string& conninfo, std::string redacted) : redacted_(std::move(redacted)) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      for (auto& c : msg)
        if (c == '\n') c = ' ';
      throw DatabaseError("cannot connect to PostgreSQL '" + redacted_ + "': " + msg);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    exec_script("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
  }
  ~PgConnection() override {
    if (conn_) PQfinish(conn_);
  }

  Dialect dialect() const override { return Dialect::postgres; }

  [[noreturn]] void fail(const std::string& what, PGresult* r = nullptr) {
    std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    for (auto& c : msg)
      if (c == '\n') c = ' ';
    if (PQstatus(conn_) != CONNECTION_OK) throw DatabaseError("lost the PostgreSQL connection '" + redacted_ + "': " + msg);
    if (tx_depth > 0) tx_failed = true;
    throw DatabaseError("PostgreSQL " + what + ": " + msg);
  }

  const std::string& prepared(std::string_view sql, int nparams, bool tenant_param) {
    std::string key(sql);
    key += tenant_param ? "\x01" : "\x02";
    key += std::to_string(nparams);
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
    std::string name = "s" + std::to_string(names_.size() + 1);
    std::vector<Oid> types(static_cast<size_t>(nparams), 0);
    if (tenant_param && nparams > 0) types[0] = kText;
    Result r(PQprepare(conn_, name.c_str(), std::string(sql).c_str(), nparams, types.data()));
    if (PQresultStatus(r.r) != PGRES_COMMAND_OK) fail("prepare failed", r.r);
    return names_.emplace(std::move(key), std::move(name)).first->second;
  }

  struct TextParams {
    std::vector<std::string> store;
    std::vector<const char*> ptrs;
  };

  static TextParams to_text(const Params& params) {
    TextParams t;
    t.store.resize(params.size());
    t.ptrs.resize(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        t.ptrs[i] = nullptr;
        continue;
      }
      if (auto p = std::get_if<int64_t>(&v)) t.store[i] = std::to_string(*p);
      else if (auto d = std::get_if<double>(&v)) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        t.store[i] = buf;
      } else t.store[i] = std::get<std::string>(v);
    }
    for (size_t i = 0; i < params.size(); ++i)
      if (!std::holds_alternative<std::nullptr_t>(params[i])) t.ptrs[i] = t.store[i].c_str();
    return t;
  }

  static Value cell(PGresult* r, int row, int col) {
    if (PQgetisnull(r, row, col)) return nullptr;
    const char* v = PQgetvalue(r, row, col);
    switch (PQftype(r, col)) {
      case kInt2:
      case kInt4:
      case kInt8: return static_cast<int64_t>(std::strtoll(v, nullptr, 10));
      case kFloat4:
      case kFloat8:
      case kNumeric: return std::strtod(v, nullptr);
      case kBool: return static_cast<int64_t>(v[0] == 't');
      default: return std::string(v, static_cast<size_t>(PQgetlength(r, row, col)));
    }
  }

  static std::shared_ptr<std::vector<std::string>> names_of(PGresult* r) {
    auto n = std::make_shared<std::vector<std::string>>();
    for (int c = 0; c < PQnfields(r); ++c) n->emplace_back(PQfname(r, c));
    return n;
  }

  PGresult* run(std::string_view sql, const Params& params, bool tenant_param) {
    const auto& name = prepared(sql, static_cast<int>(params.size()), tenant_param);
    auto t = to_text(params);
    PGresult* r = PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), t.ptrs.data(), nullptr, nullptr, 0);
    auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      Result guard(r);
      fail("statement failed [" + std::string(sql.substr(0, 120)) + "]", r);
    }
    return r;
  }

  Rows query(std::string_view sql, const Params& params, bool tenant_param) override {
    Result r(run(sql, params, tenant_param));
    Rows out;
    auto names = names_of(r.r);
    out.columns = *names;
    int nrows = PQntuples(r.r), ncols = PQnfields(r.r);
    out.rows.reserve(static_cast<size_t>(nrows));
    for (int i = 0; i < nrows; ++i) {
      std::vector<Value> cells;
      cells.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) cells.push_back(cell(r.r, i, c));
      out.rows.emplace_back(names, std::move(cells));
    }
    return out;
  }

  int64_t exec(std::string_view sql, const Params& params, bool tenant_param) override {
    Result r(run(sql, params, tenant_param));
    const char* n = PQcmdTuples(r.r);
    return n && *n ? std::strtoll(n, nullptr, 10) : 0;
  }

  void for_each(std::string_view sql, const Params& params, bool tenant_param,
                const std::function<void(const Row&)>& fn) override {
    const auto& name = prepared(sql, static_cast<int>(params.size()), tenant_param);
    auto t = to_text(params);
    if (!PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(params.size()), t.ptrs.data(), nullptr, nullptr, 0))
      fail("query failed");
    PQsetSingleRowMode(conn_);
    std::shared_ptr<std::vector<std::string>> names;
    std::string error;
    bool stop = false;
    while (PGresult* raw = PQgetResult(conn_)) {
      Result r(raw);
      auto st = PQresultStatus(r.r);
      if (st == PGRES_SINGLE_TUPLE && !stop) {
        if (!names) names = names_of(r.r);
        std::vector<Value> cells;
        for (int c = 0; c < PQnfields(r.r); ++c) cells.push_back(cell(r.r, 0, c));
        try {
          fn(Row(names, std::move(cells)));
        } catch (...) {
          // Drain the rest of the result before rethrowing so the connection stays usable.
          while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
          throw;
        }
      } else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && error.empty()) {
        error = PQresultErrorMessage(r.r);
      }
    }
    if (!error.empty()) {
      if (tx_depth > 0) tx_failed = true;
      throw DatabaseError("PostgreSQL query failed: " + std::string(text::trim(error)));
    }
  }

  void exec_script(const std::string& sql) override {
    Result r(PQexec(conn_, sql.c_str()));
    auto st = PQresultStatus(r.r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail("script failed", r.r);
  }

  void begin() override { exec_script("BEGIN"); }
  void commit() override { exec_script("COMMIT"); }
  void rollback() override {
    Result r(PQexec(conn_, "ROLLBACK"));
    current_tenant.clear();  // a set_config inside the transaction was rolled back too
  }

  std::unique_ptr<BulkWriter> bulk(const BulkSpec& spec, const std::string& tenant) override;

  void set_tenant(const std::string& tenant) override {
    Params p{tenant};
    Result r(run("SELECT set_config('app.tenant_id', $1, false)", p, true));
  }

  void lock_audit_chain(const std::string& tenant) override {
    Params p{"audit:" + tenant};
    Result r(run("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", p, true));
  }

  bool try_job_lock(const std::string& key) override {
    Params p{key};
    Result r(run("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", p, true));
    return PQgetvalue(r.r, 0, 0)[0] == 't';
  }

  void release_job_lock(const std::string& key) override {
    Params p{key};
    Result r(run("SELECT pg_advisory_unlock(hashtextextended($1, 0))", p, true));
  }

  PGconn* raw() { return conn_; }

 private:
  PGconn* conn_ = nullptr;
  std::string redacted_;
  std::unordered_map<std::string, std::string> names_;
};

// COPY rows (text format) into a temporary table shaped like the target's
// columns, then move them with one INSERT ... SELECT ... ON CONFLICT (COPY
// FROM is refused on tables under row-level security). Rows are buffered and
// sent in chunks of a few MB, each chunk a complete COPY + INSERT, so the
// connection is free for other statements between add() calls.
class PgBulk : public BulkWriter {
 public:
  PgBulk(PgConnection& c, const BulkSpec& spec, const std::string& tenant) : c_(c), spec_(spec), tenant_(tenant) {
    cols_ = "tenant_id";
    for (auto& col : spec.columns) cols_ += ", " + col;
    // One staging table per table and column list: writers with other columns get their own.
    tmp_ = "bulk_" + spec.table + "_" + std::to_string(std::hash<std::string>{}(cols_) % 1000000007);
    if (c_.tx_depth == 0) {
      c_.begin();
      own_tx_ = true;
    }
    c_.exec_script("CREATE TEMP TABLE IF NOT EXISTS " + tmp_ + " AS SELECT " + cols_ + " FROM " + spec.table +
                   " WITH NO DATA; TRUNCATE " + tmp_);
    insert_sql_ = "INSERT INTO " + spec_.table + " (" + cols_ + ") SELECT " + cols_ + " FROM " + tmp_;
    if (!spec_.conflict.empty()) {
      std::string keys = "tenant_id";
      for (auto& k : spec_.conflict) keys += ", " + k;
      // The last row wins when a key repeats within one chunk.
      insert_sql_ = "INSERT INTO " + spec_.table + " (" + cols_ + ") SELECT DISTINCT ON (" + keys + ") " + cols_ +
                    " FROM " + tmp_ + " ORDER BY " + keys + ", ctid DESC ON CONFLICT (" + keys + ") DO ";
      if (spec_.update.empty()) insert_sql_ += "NOTHING";
      else {
        insert_sql_ += "UPDATE SET ";
        for (size_t i = 0; i < spec_.update.size(); ++i)
          insert_sql_ += (i ? ", " : "") + spec_.update[i] + " = excluded." + spec_.update[i];
      }
    }
  }
  ~PgBulk() override {
    if (own_tx_) c_.rollback();
  }

  static void escape_into(std::string& out, std::string_view s) {
    for (char ch : s) {
      switch (ch) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out.push_back(ch);
      }
    }
  }

  void add(const Params& row) override {
    if (row.size() != spec_.columns.size())
      throw InternalError("bulk row has " + std::to_string(row.size()) + " values, expected " + std::to_string(spec_.columns.size()));
    escape_into(buf_, tenant_);
    char num[40];
    for (const auto& v : row) {
      buf_.push_back('\t');
      if (std::holds_alternative<std::nullptr_t>(v)) buf_ += "\\N";
      else if (auto p = std::get_if<int64_t>(&v)) buf_ += std::to_string(*p);
      else if (auto d = std::get_if<double>(&v)) {
        std::snprintf(num, sizeof num, "%.17g", *d);
        buf_ += num;
      } else escape_into(buf_, std::get<std::string>(v));
    }
    buf_.push_back('\n');
    ++count_;
    if (buf_.size() >= (4u << 20)) send_chunk();
  }

  void send_chunk() {
    if (buf_.empty()) return;
    Result start(PQexec(c_.raw(), ("COPY " + tmp_ + " (" + cols_ + ") FROM STDIN").c_str()));
    if (PQresultStatus(start.r) != PGRES_COPY_IN) c_.fail("COPY failed", start.r);
    bool ok = PQputCopyData(c_.raw(), buf_.data(), static_cast<int>(buf_.size())) == 1;
    ok = PQputCopyEnd(c_.raw(), ok ? nullptr : "send failed") == 1 && ok;
    std::string error;
    while (PGresult* r = PQgetResult(c_.raw())) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK && error.empty()) error = PQresultErrorMessage(r);
      PQclear(r);
    }
    buf_.clear();
    if (!ok || !error.empty()) {
      c_.tx_failed = true;
      throw DatabaseError("PostgreSQL COPY into " + spec_.table + " failed: " + std::string(text::trim(error)));
    }
    c_.exec_script(insert_sql_ + "; TRUNCATE " + tmp_);
  }

  void flush() override {
    send_chunk();
    if (own_tx_) {
      c_.commit();
      own_tx_ = false;
    }
  }
  uint64_t count() const override { return count_; }

 private:
  PgConnection& c_;
  BulkSpec spec_;
  std::string tenant_, tmp_, cols_, insert_sql_, buf_;
  bool own_tx_ = false;
  uint64_t count_ = 0;
};

std::unique_ptr<BulkWriter> PgConnection::bulk(const BulkSpec& spec, const std::string& tenant) {
  return std::make_unique<PgBulk>(*this, spec, tenant);
}

}  // namespace

std::shared_ptr<Connection> open_postgres(const std::string& conninfo, const std::string& redacted) {
  return std::make_shared<PgConnection>(conninfo, redacted);
}

}  // namespace opskit::store
