#pragma once
// The backend seam, private to lib/store: one Connection per backend. Every
// dialect difference lives behind this interface (and in migrations.cpp's
// token expansion), never in domain code.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/store.hpp"

namespace opskit::store {

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // `tenant_param` = params[0] is the tenant id (typed text on PostgreSQL even when unused).
  virtual Rows query(std::string_view sql, const Params& params, bool tenant_param) = 0;
  virtual int64_t exec(std::string_view sql, const Params& params, bool tenant_param) = 0;
  virtual void for_each(std::string_view sql, const Params& params, bool tenant_param,
                        const std::function<void(const Row&)>& fn) = 0;
  virtual void exec_script(const std::string& sql) = 0;
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  virtual std::unique_ptr<BulkWriter> bulk(const BulkSpec& spec, const std::string& tenant) = 0;
  // Scopes row-level security to one tenant (PostgreSQL); no-op on SQLite.
  virtual void set_tenant(const std::string& tenant) = 0;
  // Serialises audit-chain appends for one tenant inside the current transaction.
  virtual void lock_audit_chain(const std::string& tenant) = 0;
  // Session-level job lock (PostgreSQL advisory lock); SQLite returns true and relies on the lock row.
  virtual bool try_job_lock(const std::string& key) = 0;
  virtual void release_job_lock(const std::string& key) = 0;

  int tx_depth = 0;
  bool tx_failed = false;
  // Audit rows appended inside a transaction wait here and are chained and
  // written just before its commit, so the per-tenant chain lock is held for
  // moments, not for a whole batch (shard workers would queue behind it).
  struct PendingAudit {
    std::string tenant, at, actor, action, object_type, object_id, details;
  };
  std::vector<PendingAudit> pending_audit;
  std::string current_tenant;  // what set_tenant last scoped the connection to
};

std::shared_ptr<Connection> open_sqlite(const std::string& path);
std::shared_ptr<Connection> open_postgres(const std::string& conninfo, const std::string& redacted);

// BulkSpec::report_existing asks which rows a DO NOTHING insert skipped:
// it needs conflict keys and no update list, on either backend.
inline void require_report_existing_shape(const BulkSpec& spec) {
  if (spec.report_existing && (spec.conflict.empty() || !spec.update.empty()))
    throw InternalError("bulk existing-row report on " + spec.table + " needs conflict keys and no update");
}

}  // namespace opskit::store
