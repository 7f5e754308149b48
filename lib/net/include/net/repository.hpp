#pragma once
// Every SQL statement of the capture domain (tables in 0030_net.sql). All
// writes are idempotent upserts on natural keys: dns_events by (capture,
// seq), threat_intelligence by (capture, alert key), network_devices by MAC,
// net_host_history by (host, capture).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/analyzer.hpp"
#include "net/detect.hpp"
#include "net/devices.hpp"
#include "store/store.hpp"

namespace opskit::net {

struct StoredAlert {
  int64_t id = 0;
  std::string threat_type, indicator, src, dst, severity, status, capture_id, first_seen, last_seen, evidence;
  int score = 0;
};

class Repository {
 public:
  explicit Repository(store::Session& session) : s_(session) {}

  // Streams DNS events of one capture into dns_events (call inside a transaction).
  class DnsWriter {
   public:
    DnsWriter(store::Session& s, std::string capture_id, int64_t run_id, int64_t first_seq = 0);
    void add(const DnsEvent& e);
    void flush() { bulk_->flush(); }
    int64_t next_seq() const { return seq_; }

   private:
    std::unique_ptr<store::BulkWriter> bulk_;
    std::string capture_id_;
    int64_t run_id_;
    int64_t seq_ = 0;
  };
  // Sequence numbers start at first_seq (live mode continues across batches).
  std::unique_ptr<DnsWriter> dns_writer(const std::string& capture_id, int64_t run_id, int64_t first_seq = 0);

  // Upserts alerts; allow-listed ones are stored with status 'allowed'.
  void store_alerts(const std::vector<Alert>& alerts, const std::string& capture_id, const std::string& detected_at,
                    int64_t run_id);
  // Merges devices with what is stored (IPs and hostnames united, first/last widened).
  void store_devices(const std::vector<Device>& devices);
  // Outbound bytes per host for this capture, and the history of earlier captures.
  void store_host_history(const std::map<std::string, uint64_t>& outbound, const std::string& capture_id,
                          const std::string& first_seen, const std::string& last_seen);
  HostHistory host_history(const std::string& exclude_capture_id);

  Indicators indicators();
  size_t indicator_count();
  void add_indicator(const std::string& kind, const std::string& value, const std::string& source,
                     const std::string& at);
  // Every stored indicator in (kind, value) order: kind, value, source, added_at.
  void for_each_indicator(const std::function<void(const std::string&, const std::string&, const std::string&,
                                                   const std::string&)>& fn);
  std::vector<std::pair<std::string, std::string>> allow_patterns();  // pattern, note
  AllowList allowlist();
  void allow(const std::string& pattern, const std::string& note, const std::string& at);
  bool disallow(const std::string& pattern);
  // Marks stored open alerts that the allow-list now covers as 'allowed'; returns how many.
  int64_t apply_allowlist(const AllowList& allow);

  std::vector<StoredAlert> alerts(int min_score, const std::string& status);
  std::vector<Device> devices();

 private:
  store::Session& s_;
};

}  // namespace opskit::net
