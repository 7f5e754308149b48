// PostgreSQL backend through libpq (opened on first use, libpq.hpp):
// prepared statements cached per SQL text, results typed by column OID,
// single-row mode for streaming, COPY for bulk loads (into a temporary table,
// then one INSERT ... SELECT, because COPY FROM is refused on tables under
// row-level security), advisory locks.
#include "libpq.hpp"

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "connection.hpp"
#include "core/text.hpp"

namespace opskit::store {
namespace {

constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kFloat4 = 700, kFloat8 = 701, kVarchar = 1043,
              kNumeric = 1700;

struct Result {
  PGresult* r;
  explicit Result(PGresult* p) : r(p) {}
  ~Result() { libpq().clear(r); }
  Result(const Result&) = delete;
};

// The text form PostgreSQL reads a value in (parameters, COPY, chunk keys);
// NULL is left to the caller.
void append_text(std::string& out, const Value& v) {
  if (auto p = std::get_if<int64_t>(&v)) out += std::to_string(*p);
  else if (auto d = std::get_if<double>(&v)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    out += buf;
  } else if (auto str = std::get_if<std::string>(&v)) out += *str;
}

class PgConnection : public Connection {
 public:
  PgConnection(const std::string& conninfo, std::string redacted) : redacted_(std::move(redacted)) {
    conn_ = libpq().connectdb(conninfo.c_str());
    if (libpq().status(conn_) != CONNECTION_OK) {
      std::string msg = libpq().errorMessage(conn_);
      libpq().finish(conn_);
      conn_ = nullptr;
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      for (auto& c : msg)
        if (c == '\n') c = ' ';
      throw DatabaseError("cannot connect to PostgreSQL '" + redacted_ + "': " + msg);
    }
    libpq().setNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    // temp_buffers: a bulk writer's staging chunk (a few MB of rows) stays in
    // memory; it can only be raised before the session's first temp table.
    exec_script("SET client_min_messages = warning; SET TIME ZONE 'UTC'; SET temp_buffers = '32MB'");
  }
  ~PgConnection() override {
    if (conn_) libpq().finish(conn_);
  }

  Dialect dialect() const override { return Dialect::postgres; }

  // A bulk writer's INSERT may still be running on the server while its
  // caller builds the next chunk. Anything else sent on the connection waits
  // for it first, and reports its error.
  void launch(const void* owner, std::function<void()> finish) {
    in_flight_owner_ = owner;
    in_flight_ = std::move(finish);
  }
  void settle() {
    if (!in_flight_) return;
    auto finish = std::move(in_flight_);
    in_flight_ = nullptr;
    in_flight_owner_ = nullptr;
    finish();
  }
  // For a writer going away (or a rollback): wait without throwing.
  void settle_quietly(const void* owner = nullptr) {
    if (!in_flight_ || (owner && owner != in_flight_owner_)) return;
    try {
      settle();
    } catch (const std::exception&) {
      // the transaction is failed already and will be rolled back
    }
  }

  [[noreturn]] void fail(const std::string& what, PGresult* r = nullptr) {
    std::string msg = r ? libpq().resultErrorMessage(r) : libpq().errorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    for (auto& c : msg)
      if (c == '\n') c = ' ';
    if (libpq().status(conn_) != CONNECTION_OK) throw DatabaseError("lost the PostgreSQL connection '" + redacted_ + "': " + msg);
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
    settle();
    std::vector<Oid> types(static_cast<size_t>(nparams), 0);
    if (tenant_param && nparams > 0) types[0] = kText;
    Result r(libpq().prepare(conn_, name.c_str(), std::string(sql).c_str(), nparams, types.data()));
    if (libpq().resultStatus(r.r) != PGRES_COMMAND_OK) fail("prepare failed", r.r);
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
      append_text(t.store[i], v);
    }
    for (size_t i = 0; i < params.size(); ++i)
      if (!std::holds_alternative<std::nullptr_t>(params[i])) t.ptrs[i] = t.store[i].c_str();
    return t;
  }

  static Value cell(PGresult* r, int row, int col) {
    if (libpq().getisnull(r, row, col)) return nullptr;
    const char* v = libpq().getvalue(r, row, col);
    switch (libpq().ftype(r, col)) {
      case kInt2:
      case kInt4:
      case kInt8: return static_cast<int64_t>(std::strtoll(v, nullptr, 10));
      case kFloat4:
      case kFloat8:
      case kNumeric: return std::strtod(v, nullptr);
      case kBool: return static_cast<int64_t>(v[0] == 't');
      default: return std::string(v, static_cast<size_t>(libpq().getlength(r, row, col)));
    }
  }

  static std::shared_ptr<std::vector<std::string>> names_of(PGresult* r) {
    auto n = std::make_shared<std::vector<std::string>>();
    for (int c = 0; c < libpq().nfields(r); ++c) n->emplace_back(libpq().fname(r, c));
    return n;
  }

  PGresult* run(std::string_view sql, const Params& params, bool tenant_param) {
    const auto& name = prepared(sql, static_cast<int>(params.size()), tenant_param);
    auto t = to_text(params);
    settle();
    PGresult* r = libpq().execPrepared(conn_, name.c_str(), static_cast<int>(params.size()), t.ptrs.data(), nullptr, nullptr, 0);
    auto st = libpq().resultStatus(r);
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
    int nrows = libpq().ntuples(r.r), ncols = libpq().nfields(r.r);
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
    const char* n = libpq().cmdTuples(r.r);
    return n && *n ? std::strtoll(n, nullptr, 10) : 0;
  }

  void for_each(std::string_view sql, const Params& params, bool tenant_param,
                const std::function<void(const Row&)>& fn) override {
    const auto& name = prepared(sql, static_cast<int>(params.size()), tenant_param);
    auto t = to_text(params);
    settle();
    if (!libpq().sendQueryPrepared(conn_, name.c_str(), static_cast<int>(params.size()), t.ptrs.data(), nullptr, nullptr, 0))
      fail("query failed");
    libpq().setSingleRowMode(conn_);
    std::shared_ptr<std::vector<std::string>> names;
    std::string error;
    bool stop = false;
    while (PGresult* raw = libpq().getResult(conn_)) {
      Result r(raw);
      auto st = libpq().resultStatus(r.r);
      if (st == PGRES_SINGLE_TUPLE && !stop) {
        if (!names) names = names_of(r.r);
        std::vector<Value> cells;
        for (int c = 0; c < libpq().nfields(r.r); ++c) cells.push_back(cell(r.r, 0, c));
        try {
          fn(Row(names, std::move(cells)));
        } catch (...) {
          // Drain the rest of the result before rethrowing so the connection stays usable.
          while (PGresult* rest = libpq().getResult(conn_)) libpq().clear(rest);
          throw;
        }
      } else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && error.empty()) {
        error = libpq().resultErrorMessage(r.r);
      }
    }
    if (!error.empty()) {
      if (tx_depth > 0) tx_failed = true;
      throw DatabaseError("PostgreSQL query failed: " + std::string(text::trim(error)));
    }
  }

  void exec_script(const std::string& sql) override {
    settle();
    Result r(libpq().exec(conn_, sql.c_str()));
    auto st = libpq().resultStatus(r.r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail("script failed", r.r);
  }

  void begin() override { exec_script("BEGIN"); }
  void commit() override { exec_script("COMMIT"); }
  void rollback() override {
    settle_quietly();
    Result r(libpq().exec(conn_, "ROLLBACK"));
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
    return libpq().getvalue(r.r, 0, 0)[0] == 't';
  }

  void release_job_lock(const std::string& key) override {
    Params p{key};
    Result r(run("SELECT pg_advisory_unlock(hashtextextended($1, 0))", p, true));
  }

  PGconn* raw() { return conn_; }

 private:
  PGconn* conn_ = nullptr;
  std::string redacted_;
  std::function<void()> in_flight_;
  const void* in_flight_owner_ = nullptr;
  std::unordered_map<std::string, std::string> names_;
};

// COPY rows into a temporary table shaped like the target's columns, then
// move them with one INSERT ... SELECT ... ON CONFLICT (COPY FROM is refused
// on tables under row-level security). Rows go in COPY's binary format when
// every value already has its column's type (text, integer, double): the
// server then skips parsing each field, which was a fifth of its work; a row
// that needs the server's parsing (a string for a number column, a bytea
// column) goes in a text-format chunk of its own. Rows are buffered and
// sent in chunks of a few MB, each chunk a complete COPY + INSERT, so the
// connection is free for other statements between add() calls. The INSERT is
// sent without waiting: the server moves one chunk while the caller builds
// the next, and the next statement on the connection collects its result.
class PgBulk : public BulkWriter {
 public:
  PgBulk(PgConnection& c, const BulkSpec& spec, const std::string& tenant) : c_(c), spec_(spec), tenant_(tenant) {
    require_report_existing_shape(spec_);
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
    Params name{tmp_};
    Result types(c_.run("SELECT atttypid::int8 FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 1"
                        " AND NOT attisdropped ORDER BY attnum",
                        name, false));
    for (int i = 0; i < libpq().ntuples(types.r); ++i) {
      Oid t = static_cast<Oid>(std::strtoul(libpq().getvalue(types.r, i, 0), nullptr, 10));
      kinds_.push_back(t == kText || t == kVarchar ? Kind::text
                       : t == kInt4            ? Kind::int4
                       : t == kInt8            ? Kind::int8
                       : t == kFloat8          ? Kind::float8
                                               : Kind::other);
    }
    if (kinds_.size() != spec_.columns.size())
      throw InternalError("bulk staging table for " + spec_.table + " has " + std::to_string(kinds_.size()) + " columns, expected " +
                          std::to_string(spec_.columns.size()));
    insert_sql_ = "INSERT INTO " + spec_.table + " (" + cols_ + ") SELECT " + cols_ + " FROM " + tmp_;
    if (!spec_.conflict.empty()) {
      // Keys are unique within a chunk (add() starts a new chunk when one
      // repeats), so the rows go straight in, in order, without a sort.
      for (auto& k : spec_.conflict) {
        auto at = std::find(spec_.columns.begin(), spec_.columns.end(), k);
        if (at == spec_.columns.end()) throw InternalError("bulk conflict key " + k + " is not among the columns of " + spec_.table);
        key_columns_.push_back(static_cast<size_t>(at - spec_.columns.begin()));
      }
      insert_sql_ += " ON CONFLICT (tenant_id";
      for (auto& k : spec_.conflict) insert_sql_ += ", " + k;
      insert_sql_ += ") DO ";
      if (spec_.update.empty()) insert_sql_ += "NOTHING";
      else {
        insert_sql_ += "UPDATE SET ";
        for (size_t i = 0; i < spec_.update.size(); ++i)
          insert_sql_ += (i ? ", " : "") + spec_.update[i] + " = excluded." + spec_.update[i];
      }
    }
    if (spec_.report_existing) {
      // The keys of the rows written come back; the chunk's other rows were stored already.
      insert_sql_ += " RETURNING ";
      for (size_t i = 0; i < spec_.conflict.size(); ++i) insert_sql_ += (i ? ", " : "") + spec_.conflict[i];
    }
  }
  ~PgBulk() override {
    c_.settle_quietly(this);
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
    // A chunk is all binary or all text: a row of the other kind starts a new one.
    if (flushed_) {  // a new batch: existing() counts from here
      flushed_ = false;
      base_ = count_;
      existing_.clear();
    }
    const bool binary = binary_encodable(row);
    if (binary != chunk_binary_ && !buf_.empty()) send_chunk();
    chunk_binary_ = binary;
    if (!key_columns_.empty()) {
      // A key seen earlier in this chunk: send the chunk first, so the later
      // row wins, as it does on SQLite.
      std::string key;
      for (size_t i : key_columns_) {
        if (std::holds_alternative<std::nullptr_t>(row[i])) key += "\\N";
        else append_text(key, row[i]);
        key.push_back('\x1f');
      }
      if (!chunk_keys_.insert(key).second) {
        send_chunk();
        chunk_keys_.insert(key);
      }
      if (spec_.report_existing) chunk_rows_.emplace_back(std::move(key), count_ - base_);
    }
    if (binary) add_binary(row);
    else add_text(row);
    ++count_;
    if (buf_.size() >= (4u << 20)) send_chunk();
  }

  // Whether every value of the row is one COPY's binary format can carry as
  // is: NULL, a string for a text column, an integer for an integer or double
  // column (in range), a double for a double column; numbers for a text column
  // go as their text form, as in the text format.
  bool binary_encodable(const Params& row) const {
    for (size_t i = 0; i < row.size(); ++i) {
      const Value& v = row[i];
      switch (kinds_[i]) {
        case Kind::text: break;
        case Kind::int4:
          if (auto n = std::get_if<int64_t>(&v); n ? (*n < INT32_MIN || *n > INT32_MAX) : !std::holds_alternative<std::nullptr_t>(v))
            return false;
          break;
        case Kind::int8:
          if (!std::holds_alternative<int64_t>(v) && !std::holds_alternative<std::nullptr_t>(v)) return false;
          break;
        case Kind::float8:
          if (std::holds_alternative<std::string>(v)) return false;
          break;
        case Kind::other: return false;
      }
    }
    return true;
  }

  void put_be(uint64_t v, int bytes) {
    for (int b = bytes - 1; b >= 0; --b) buf_.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
  }
  void put_field(std::string_view bytes) {
    put_be(bytes.size(), 4);
    buf_.append(bytes);
  }

  void add_binary(const Params& row) {
    if (buf_.empty()) buf_.append("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);  // signature, flags, no extension
    put_be(row.size() + 1, 2);
    put_field(tenant_);
    for (size_t i = 0; i < row.size(); ++i) {
      const Value& v = row[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        put_be(0xffffffffu, 4);  // -1: NULL
        continue;
      }
      switch (kinds_[i]) {
        case Kind::text:
          if (auto str = std::get_if<std::string>(&v)) put_field(*str);
          else {
            scratch_.clear();
            append_text(scratch_, v);
            put_field(scratch_);
          }
          break;
        case Kind::int4:
          put_be(4, 4);
          put_be(static_cast<uint32_t>(static_cast<int32_t>(std::get<int64_t>(v))), 4);
          break;
        case Kind::int8:
          put_be(8, 4);
          put_be(static_cast<uint64_t>(std::get<int64_t>(v)), 8);
          break;
        case Kind::float8: {
          const double d = std::holds_alternative<double>(v) ? std::get<double>(v) : static_cast<double>(std::get<int64_t>(v));
          put_be(8, 4);
          put_be(std::bit_cast<uint64_t>(d), 8);
          break;
        }
        case Kind::other: break;  // never: such rows are not binary-encodable
      }
    }
  }

  void add_text(const Params& row) {
    escape_into(buf_, tenant_);
    for (const auto& v : row) {
      buf_.push_back('\t');
      if (std::holds_alternative<std::nullptr_t>(v)) buf_ += "\\N";
      else if (auto str = std::get_if<std::string>(&v)) escape_into(buf_, *str);
      else append_text(buf_, v);
    }
    buf_.push_back('\n');
  }

  void send_chunk() {
    if (buf_.empty()) return;
    if (chunk_binary_) put_be(0xffff, 2);  // trailer: -1 fields
    c_.settle();
    Result start(libpq().exec(c_.raw(), ("COPY " + tmp_ + " (" + cols_ + ") FROM STDIN" + (chunk_binary_ ? " (FORMAT binary)" : "")).c_str()));
    if (libpq().resultStatus(start.r) != PGRES_COPY_IN) c_.fail("COPY failed", start.r);
    bool ok = libpq().putCopyData(c_.raw(), buf_.data(), static_cast<int>(buf_.size())) == 1;
    ok = libpq().putCopyEnd(c_.raw(), ok ? nullptr : "send failed") == 1 && ok;
    std::string error;
    while (PGresult* r = libpq().getResult(c_.raw())) {
      if (libpq().resultStatus(r) != PGRES_COMMAND_OK && error.empty()) error = libpq().resultErrorMessage(r);
      libpq().clear(r);
    }
    buf_.clear();
    chunk_keys_.clear();
    if (!ok || !error.empty()) {
      c_.tx_failed = true;
      throw DatabaseError("PostgreSQL COPY into " + spec_.table + " failed: " + std::string(text::trim(error)));
    }
    if (!libpq().sendQuery(c_.raw(), (insert_sql_ + "; TRUNCATE " + tmp_).c_str())) c_.fail("bulk insert failed");
    sent_rows_ = std::move(chunk_rows_);
    chunk_rows_.clear();
    c_.launch(this, [this] { finish_insert(); });
  }

  void finish_insert() {
    std::string error;
    std::unordered_set<std::string> written;  // report_existing: keys RETURNING gave back
    bool all_written = false;
    while (PGresult* r = libpq().getResult(c_.raw())) {
      const auto st = libpq().resultStatus(r);
      // A chunk's keys are distinct, so as many keys back as rows sent means
      // every row was written (a new file's usual case: no set to build).
      if (st == PGRES_TUPLES_OK && static_cast<size_t>(libpq().ntuples(r)) == sent_rows_.size()) {
        all_written = true;
      } else if (st == PGRES_TUPLES_OK) {
        for (int i = 0; i < libpq().ntuples(r); ++i) {
          std::string key;
          for (int k = 0; k < libpq().nfields(r); ++k) {
            if (libpq().getisnull(r, i, k)) key += "\\N";
            else key.append(libpq().getvalue(r, i, k), static_cast<size_t>(libpq().getlength(r, i, k)));
            key.push_back('\x1f');
          }
          written.insert(std::move(key));
        }
      } else if (st != PGRES_COMMAND_OK && error.empty()) {
        error = libpq().resultErrorMessage(r);
      }
      libpq().clear(r);
    }
    if (error.empty() && !all_written)
      for (const auto& [key, position] : sent_rows_)
        if (!written.count(key)) existing_.push_back(position);
    sent_rows_.clear();
    if (!error.empty()) {
      c_.tx_failed = true;
      throw DatabaseError("PostgreSQL insert into " + spec_.table + " failed: " + std::string(text::trim(error)));
    }
  }

  void flush() override {
    send_chunk();
    c_.settle();
    flushed_ = true;
    if (own_tx_) {
      c_.commit();
      own_tx_ = false;
    }
  }
  uint64_t count() const override { return count_; }
  const std::vector<uint64_t>& existing() const override { return existing_; }

 private:
  PgConnection& c_;
  BulkSpec spec_;
  enum class Kind { text, int4, int8, float8, other };  // column types as COPY's binary format carries them
  std::vector<Kind> kinds_;                             // of spec_.columns, in order
  bool chunk_binary_ = false;                           // the format of the rows in buf_
  std::string tenant_, tmp_, cols_, insert_sql_, buf_, scratch_;
  std::vector<size_t> key_columns_;             // positions of the conflict keys in a row
  std::unordered_set<std::string> chunk_keys_;  // keys sent in the current chunk
  bool own_tx_ = false;
  uint64_t count_ = 0;
  // report_existing: (key, batch position) of the rows in the chunk being
  // built and in the one whose INSERT is in flight; rows of this batch skipped.
  std::vector<std::pair<std::string, uint64_t>> chunk_rows_, sent_rows_;
  std::vector<uint64_t> existing_;
  uint64_t base_ = 0;  // count_ when the current batch began
  bool flushed_ = false;
};

std::unique_ptr<BulkWriter> PgConnection::bulk(const BulkSpec& spec, const std::string& tenant) {
  return std::make_unique<PgBulk>(*this, spec, tenant);
}

}  // namespace

std::shared_ptr<Connection> open_postgres(const std::string& conninfo, const std::string& redacted) {
  return std::make_shared<PgConnection>(conninfo, redacted);
}

}  // namespace opskit::store
