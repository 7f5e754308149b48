#include "store/ledger.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "connection.hpp"
#include "core/hash.hpp"

namespace opskit::store {

namespace {
std::string this_host() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}
bool process_alive(int pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }
}  // namespace

JobLock::JobLock(Session& s, const std::string& job, int64_t run_id, int wait_seconds) : session_(s), job_(job) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(0, wait_seconds));
  std::string key = s.tenant() + "\x1f" + job;
  std::string host = this_host();
  int pid = static_cast<int>(::getpid());
  for (;;) {
    std::string holder;
    bool got = false;
    if (s.dialect() == Dialect::postgres) {
      got = s.connection().try_job_lock(key);
      if (got) {
        s.exec("INSERT INTO job_locks (tenant_id, job, run_id, host, pid, acquired_at) VALUES ($1, $2, $3, $4, $5, $6) "
               "ON CONFLICT (tenant_id, job) DO UPDATE SET run_id = excluded.run_id, host = excluded.host, pid = excluded.pid, acquired_at = excluded.acquired_at",
               {job, run_id, host, static_cast<int64_t>(pid), s.now_iso()});
      }
    } else {
      // A lock row taken in a write transaction; a row left by a dead process on this host is taken over.
      s.transaction([&] {
        auto r = s.query("SELECT run_id, host, pid, acquired_at FROM job_locks WHERE tenant_id = $1 AND job = $2", {job});
        if (!r.empty()) {
          bool stale = r[0].text(1) == host && !process_alive(static_cast<int>(r[0].integer(2)));
          if (!stale) {
            holder = "run " + r[0].text(0) + " (host " + r[0].text(1) + ", pid " + r[0].text(2) + ", since " + r[0].text(3) + ")";
            return;
          }
          s.exec("DELETE FROM job_locks WHERE tenant_id = $1 AND job = $2", {job});
        }
        s.exec("INSERT INTO job_locks (tenant_id, job, run_id, host, pid, acquired_at) VALUES ($1, $2, $3, $4, $5, $6)",
               {job, run_id, host, static_cast<int64_t>(pid), s.now_iso()});
        got = true;
      });
    }
    if (got) {
      held_ = true;
      return;
    }
    if (holder.empty()) {
      auto r = s.query("SELECT run_id, host, pid, acquired_at FROM job_locks WHERE tenant_id = $1 AND job = $2", {job});
      holder = r.empty() ? "another run" : "run " + r[0].text(0) + " (host " + r[0].text(1) + ", pid " + r[0].text(2) + ", since " + r[0].text(3) + ")";
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw LockedError("job '" + job + "' for tenant '" + s.tenant() + "' is locked by " + holder + (wait_seconds > 0 ? " (waited " + std::to_string(wait_seconds) + "s)" : "; use --wait SECONDS to wait"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

JobLock::~JobLock() {
  if (!held_) return;
  try {
    std::string key = session_.tenant() + "\x1f" + job_;
    session_.exec("DELETE FROM job_locks WHERE tenant_id = $1 AND job = $2 AND pid = $3", {job_, static_cast<int64_t>(::getpid())});
    if (session_.dialect() == Dialect::postgres) session_.connection().release_job_lock(key);
  } catch (...) {
    // Releasing is best effort: the process is ending and a dead holder is detected.
  }
}

int64_t Ledger::start(const std::string& tool, const std::string& subcommand, const std::string& arguments,
                      const std::string& started_at, const std::string& host, int pid) {
  auto r = s_.query(
      "INSERT INTO job_runs (tenant_id, tool, subcommand, arguments, started_at, status, host, pid) "
      "VALUES ($1, $2, $3, $4, $5, 'running', $6, $7) RETURNING id",
      {tool, subcommand, arguments, started_at, host, static_cast<int64_t>(pid)});
  return r[0].integer(0);
}

void Ledger::finish(int64_t run_id, const std::string& finished_at, const std::string& status, int exit_code,
                    const std::map<std::string, int64_t>& counts, const std::string& message) {
  nlohmann::json c = counts;
  s_.exec("UPDATE job_runs SET finished_at = $3, status = $4, exit_code = $5, counts = $6, message = $7 "
          "WHERE tenant_id = $1 AND id = $2",
          {run_id, finished_at, status, static_cast<int64_t>(exit_code), c.dump(), message});
}

static RunRecord to_record(const Row& r) {
  RunRecord rec;
  rec.id = r.integer("id");
  rec.tool = r.text("tool");
  rec.subcommand = r.text("subcommand");
  rec.arguments = r.text("arguments");
  rec.tenant = r.text("tenant_id");
  rec.started_at = r.text("started_at");
  rec.finished_at = r.text("finished_at");
  rec.status = r.text("status");
  rec.host = r.text("host");
  rec.exit_code = r.is_null("exit_code") ? -1 : static_cast<int>(r.integer("exit_code"));
  rec.message = r.text("message");
  auto j = nlohmann::json::parse(r.text("counts", "{}"), nullptr, false);
  if (j.is_object())
    for (auto& [k, v] : j.items())
      if (v.is_number()) rec.counts[k] = v.get<int64_t>();
  return rec;
}

std::vector<RunRecord> Ledger::list(int limit, const std::string& tool) {
  std::vector<RunRecord> out;
  auto rows = tool.empty()
                  ? s_.query("SELECT * FROM job_runs WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2", {static_cast<int64_t>(limit)})
                  : s_.query("SELECT * FROM job_runs WHERE tenant_id = $1 AND tool = $3 ORDER BY id DESC LIMIT $2",
                             {static_cast<int64_t>(limit), tool});
  for (const auto& r : rows) out.push_back(to_record(r));
  return out;
}

std::optional<RunRecord> Ledger::get(int64_t run_id) {
  auto rows = s_.query("SELECT * FROM job_runs WHERE tenant_id = $1 AND id = $2", {run_id});
  if (rows.empty()) return std::nullopt;
  return to_record(rows[0]);
}

AuditVerdict verify_audit(Session& s) {
  AuditVerdict v;
  std::string prev(64, '0');
  int64_t expected_seq = 1;
  s.for_each(
      "SELECT seq, at, actor, action, object_type, object_id, details, prev_hash, hash FROM audit_log "
      "WHERE tenant_id = $1 ORDER BY seq",
      {}, [&](const Row& r) {
        if (!v.ok) return;
        ++v.rows;
        int64_t seq = r.integer(0);
        auto bad = [&](const std::string& why) {
          v.ok = false;
          v.first_bad_seq = seq;
          v.reason = why;
        };
        if (seq != expected_seq) {
          v.ok = false;
          v.first_bad_seq = expected_seq;
          v.reason = "row " + std::to_string(expected_seq) + " is missing (deleted); next row is " + std::to_string(seq);
          return;
        }
        if (r.text(7) != prev) return bad("row " + std::to_string(seq) + " does not chain to the previous row's hash");
        std::string h = sha256_hex(audit_payload(s.tenant(), seq, r.text(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6), prev));
        if (h != r.text(8)) return bad("row " + std::to_string(seq) + " was changed after it was written (hash mismatch)");
        prev = h;
        ++expected_seq;
      });
  return v;
}

void export_audit(Session& s, std::ostream& out) {
  s.for_each(
      "SELECT seq, at, actor, action, object_type, object_id, details, prev_hash, hash FROM audit_log "
      "WHERE tenant_id = $1 ORDER BY seq",
      {}, [&](const Row& r) {
        nlohmann::json j;
        j["tenant"] = s.tenant();
        j["seq"] = r.integer(0);
        j["at"] = r.text(1);
        j["actor"] = r.text(2);
        j["action"] = r.text(3);
        j["object_type"] = r.text(4);
        j["object_id"] = r.text(5);
        auto d = nlohmann::json::parse(r.text(6), nullptr, false);
        j["details"] = d.is_discarded() ? nlohmann::json(r.text(6)) : d;
        j["prev_hash"] = r.text(7);
        j["hash"] = r.text(8);
        out << j.dump() << '\n';
      });
}

}  // namespace opskit::store
