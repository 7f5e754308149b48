#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

#include "connection.hpp"
#include "core/hash.hpp"
#include "core/runtime.hpp"
#include "store/ledger.hpp"
#include "store/store.hpp"

namespace opskit::store {

namespace {
Params with_tenant(const std::string& tenant, const Params& params) {
  Params p;
  p.reserve(params.size() + 1);
  p.emplace_back(tenant);
  p.insert(p.end(), params.begin(), params.end());
  return p;
}
}  // namespace

Session::Session(std::shared_ptr<Connection> conn, std::string tenant) : conn_(std::move(conn)), tenant_(std::move(tenant)) {}
Session::~Session() = default;

Dialect Session::dialect() const { return conn_->dialect(); }

std::string Session::one_of(std::string_view column, const std::vector<std::string>& keys, Params& params) const {
  const std::string placeholder = "$" + std::to_string(params.size() + 2);
  params.emplace_back(nlohmann::json(keys).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  // PostgreSQL: `= ANY(ARRAY(subquery))` is planned as one index probe per key
  // whatever the statistics say; SQLite: an IN over json_each does the same.
  if (dialect() == Dialect::postgres)
    return std::string(column) + " = ANY(ARRAY(SELECT json_array_elements_text(" + placeholder + "::json)))";
  return std::string(column) + " IN (SELECT value FROM json_each(" + placeholder + "))";
}

// Sessions of one Database share its connection: re-scope it when another
// tenant's session used it last.
static Connection& scoped(Connection& c, const std::string& tenant) {
  if (c.current_tenant != tenant) {
    c.set_tenant(tenant);
    c.current_tenant = tenant;
  }
  return c;
}

Rows Session::query(std::string_view sql, const Params& params) {
  return scoped(*conn_, tenant_).query(sql, with_tenant(tenant_, params), true);
}

int64_t Session::exec(std::string_view sql, const Params& params) {
  return scoped(*conn_, tenant_).exec(sql, with_tenant(tenant_, params), true);
}

void Session::for_each(std::string_view sql, const Params& params, const std::function<void(const Row&)>& fn) {
  scoped(*conn_, tenant_).for_each(sql, with_tenant(tenant_, params), true, fn);
}

std::optional<Value> Session::scalar(std::string_view sql, const Params& params) {
  auto r = query(sql, params);
  if (r.empty() || r[0].size() == 0) return std::nullopt;
  return r[0][0];
}

// Chains and writes the audit rows appended during the transaction, tenant
// by tenant in order of appearance, under each tenant's chain lock.
static void write_pending_audit(Connection& c) {
  if (c.pending_audit.empty()) return;
  auto entries = std::move(c.pending_audit);
  c.pending_audit.clear();
  std::vector<std::string> tenants;
  for (const auto& e : entries)
    if (std::find(tenants.begin(), tenants.end(), e.tenant) == tenants.end()) tenants.push_back(e.tenant);
  for (const auto& tenant : tenants) {
    Connection& s = scoped(c, tenant);
    s.lock_audit_chain(tenant);
    auto last = s.query("SELECT seq, hash FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1", {tenant}, true);
    int64_t seq = last.empty() ? 0 : last[0].integer(0);
    std::string prev = last.empty() ? std::string(64, '0') : last[0].text(1);
    for (const auto& e : entries) {
      if (e.tenant != tenant) continue;
      ++seq;
      std::string hash = sha256_hex(audit_payload(tenant, seq, e.at, e.actor, e.action, e.object_type, e.object_id, e.details, prev));
      s.exec("INSERT INTO audit_log (tenant_id, seq, at, actor, action, object_type, object_id, details, prev_hash, hash) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
             {tenant, seq, e.at, e.actor, e.action, e.object_type, e.object_id, e.details, prev, hash}, true);
      prev = hash;
    }
  }
}

void Session::transaction(const std::function<void()>& fn) {
  if (conn_->tx_depth > 0) {  // join the outer transaction
    ++conn_->tx_depth;
    try {
      fn();
    } catch (...) {
      --conn_->tx_depth;
      throw;
    }
    --conn_->tx_depth;
    return;
  }
  conn_->begin();
  conn_->tx_depth = 1;
  conn_->tx_failed = false;
  conn_->pending_audit.clear();
  try {
    fn();
    write_pending_audit(*conn_);
  } catch (...) {
    conn_->tx_depth = 0;
    conn_->pending_audit.clear();
    conn_->rollback();
    throw;
  }
  conn_->tx_depth = 0;
  conn_->commit();
}

std::unique_ptr<BulkWriter> Session::bulk(const BulkSpec& spec) { return scoped(*conn_, tenant_).bulk(spec, tenant_); }

std::string Session::now_iso() const {
  if (now_) return now_();
  return format_iso8601(static_cast<int64_t>(std::time(nullptr)));
}

std::string audit_payload(const std::string& tenant, int64_t seq, const std::string& at, const std::string& actor,
                          const std::string& action, const std::string& object_type, const std::string& object_id,
                          const std::string& details, const std::string& prev_hash) {
  // Unit separators keep field boundaries unambiguous.
  std::string p;
  for (const std::string* f : {&prev_hash, &tenant}) p += *f + '\x1f';
  p += std::to_string(seq) + '\x1f';
  for (const std::string* f : {&at, &actor, &action, &object_type, &object_id, &details}) p += *f + '\x1f';
  return p;
}

void Session::audit(const std::string& actor, const std::string& action, const std::string& object_type,
                    const std::string& object_id, const std::string& details_json) {
  // Written when the (outermost) transaction commits; see write_pending_audit.
  transaction([&] {
    conn_->pending_audit.push_back({tenant_, now_iso(), actor, action, object_type, object_id, details_json});
  });
}

}  // namespace opskit::store
