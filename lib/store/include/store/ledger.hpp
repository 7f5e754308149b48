#pragma once
// Job-run ledger and job locks. Every run of every tool records tool,
// subcommand, arguments (secrets redacted), tenant, start, end, status, row
// counts, exit code and host. Two runs of one job for one tenant never
// interleave: SQLite takes a lock row in a write transaction (a row left by a
// dead process on this host is taken over), PostgreSQL a session advisory lock.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace opskit::store {

struct RunRecord {
  int64_t id = 0;
  std::string tool, subcommand, arguments, tenant, started_at, finished_at, status, host;
  int exit_code = -1;
  std::map<std::string, int64_t> counts;
  std::string message;
};

class JobLock {
 public:
  // Takes the lock for (tenant, job) or waits up to wait_seconds; throws
  // LockedError (exit 6) naming the run that holds it.
  JobLock(Session& session, const std::string& job, int64_t run_id, int wait_seconds);
  ~JobLock();
  JobLock(const JobLock&) = delete;
  JobLock& operator=(const JobLock&) = delete;

 private:
  Session& session_;
  std::string job_;
  bool held_ = false;
};

class Ledger {
 public:
  explicit Ledger(Session& s) : s_(s) {}
  int64_t start(const std::string& tool, const std::string& subcommand, const std::string& arguments,
                const std::string& started_at, const std::string& host, int pid);
  void finish(int64_t run_id, const std::string& finished_at, const std::string& status, int exit_code,
              const std::map<std::string, int64_t>& counts, const std::string& message);
  std::vector<RunRecord> list(int limit, const std::string& tool = {});
  std::optional<RunRecord> get(int64_t run_id);

 private:
  Session& s_;
};

// Audit chain verification: recomputes every row's hash in order.
struct AuditVerdict {
  bool ok = true;
  int64_t rows = 0;
  int64_t first_bad_seq = 0;  // 0 when ok
  std::string reason;
};
AuditVerdict verify_audit(Session& s);
// Writes the chain as JSON lines.
void export_audit(Session& s, std::ostream& out);
// The canonical text hashed for one audit row.
std::string audit_payload(const std::string& tenant, int64_t seq, const std::string& at, const std::string& actor,
                          const std::string& action, const std::string& object_type, const std::string& object_id,
                          const std::string& details, const std::string& prev_hash);

}  // namespace opskit::store
