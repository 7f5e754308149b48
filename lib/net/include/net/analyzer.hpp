#pragma once
// The whole per-packet pipeline: decode -> flows -> DNS (matched queries and
// responses) -> device inventory -> detectors, with Zeek-style records out.
// One Analyzer per capture run; single-threaded; memory bounded by the flow,
// fragment, stream, domain and pair caps, never by the capture size.
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/decode.hpp"
#include "net/detect.hpp"
#include "net/devices.hpp"
#include "net/dns_stream.hpp"
#include "net/flat_map.hpp"
#include "net/flows.hpp"

namespace opskit::net {

// One DNS transaction (query and its response matched by id and endpoints),
// or a lone query / response. (The analyzer reuses events: clear_event in
// analyzer.cpp resets every member, so a new member goes there too.)
struct DnsEvent {
  int64_t ts_ns = 0;
  IpAddr client, server;
  uint16_t client_port = 0, server_port = 0;
  uint8_t proto = 17;
  DnsService service = DnsService::dns;
  uint16_t trans_id = 0;
  std::string query;
  uint16_t qclass = 0, qtype = 0;
  int rcode = -1;  // -1: no response seen
  bool aa = false, tc = false, rd = false, ra = false, z = false;
  bool has_query = false, has_response = false;
  int64_t rtt_ns = -1;
  std::vector<std::string> answers;
  std::vector<uint32_t> ttls;
  std::string client_subnet;
  uint32_t query_bytes = 0, response_bytes = 0;
};

struct AnalyzerOptions {
  DecoderOptions decoder;
  FlowOptions flows;
  DetectorOptions detectors;
  int threshold = 70;                       // alerts below are not reported
  int64_t dns_timeout_ns = 10'000'000'000;  // unanswered queries are reported after this
  size_t max_pending_dns = 100000;
};

struct Summary {
  uint64_t packets = 0, bytes = 0, ip_packets = 0, dns_messages = 0, dns_events = 0, flows = 0, alerts = 0;
  int64_t first_ns = 0, last_ns = 0;
  std::map<std::string, uint64_t> weirds;
  nlohmann::json to_json() const;
};

class Analyzer {
 public:
  struct Sinks {
    std::function<void(const DnsEvent&)> dns;
    std::function<void(const Flow&)> conn;
    std::function<void(const Alert&)> alert;
  };
  Analyzer(AnalyzerOptions options, const DgaModel* model, const Indicators* indicators, const AllowList* allow,
           Sinks sinks);
  void add(const RawPacket& raw);
  // For sources whose packet bytes stay valid after the next read (an mmapped
  // file): decoding then runs kAhead packets ahead of the rest, so a
  // packet's flow index line is fetched from memory while the ones before
  // it are processed (one packet of work is shorter than a memory access).
  // Results are identical; only the work is reordered.
  void set_lookahead(bool on) { lookahead_ = on; }
  // Live mode: report unanswered queries and idle flows, and evaluate the
  // window detectors, as of `now_ns`.
  void tick(int64_t now_ns, const HostHistory& history);
  // End of input: everything still pending is reported; final alerts.
  void finish(const HostHistory& history);
  // Weirds of a source (file-level anomalies) join the summary.
  void add_source_weirds(const Weirds& w) { source_weirds_.merge(w); }
  Summary summary() const;
  const DeviceInventory& devices() const { return devices_; }
  const Detectors& detectors() const { return detectors_; }

 private:
  // Pending queries: the table holds slab indices, so a probe touches a
  // small slot. Events are filled and reported where they lie in the slab,
  // never moved, and their slots recycled through a free list (their
  // strings and vectors keep their capacity).
  uint32_t new_pending_event();
  void release_pending_event(uint32_t at);
  // `dns`: the payload is on a DNS port (carries_dns, worked out when decoded).
  void process(const Decoded& d, bool ok, bool dns, const FlowTable::Key* key, size_t key_hash);
  void drain();  // processes every packet decoded ahead
  void on_dns(const DnsPacketInfo& info, const DnsMessage& m);
  // The message against the pending queries: a response completes its
  // query's event, a query starts one; lone messages are reported at once.
  void match_pending(const DnsPacketInfo& info, const DnsMessage& m);
  // The event as a message starts it (the query side's fields), and what a response adds.
  void start_event(DnsEvent& e, const DnsPacketInfo& info, const DnsMessage& m) const;
  void fill_response(DnsEvent& e, const DnsPacketInfo& info, const DnsMessage& m) const;
  void emit_dns(const DnsEvent& e);
  void flush_dns(int64_t older_than_ns);
  void emit_alerts(const std::vector<Alert>& alerts);
  void emit_alert(const Alert& a);

  AnalyzerOptions options_;
  Sinks sinks_;
  Decoder decoder_;
  FlowTable flows_;
  DnsStreams dns_;
  DeviceInventory devices_;
  Detectors detectors_;
  // Four packets ahead; eight ahead kept more misses outstanding than the
  // core can track, and measured slower on small packets. Only the index
  // line is prefetched: a second step that probed it two packets later to
  // start loading the flow record measured slower on both benches (small
  // 206 -> 216 ms, DNS 65.5 -> 67 ms).
  static constexpr size_t kAhead = 4;
  Decoded decoded_[kAhead];
  FlowTable::Key keys_[kAhead];  // flow keys of the packets decoded ahead, built and hashed once
  size_t hashes_[kAhead] = {};
  bool ok_[kAhead] = {};
  bool dns_ahead_[kAhead] = {};  // whether each carries a DNS payload
  bool lookahead_ = false;
  size_t head_ = 0, queued_ = 0;  // ring of packets decoded ahead
  // Keyed by pending_key (analyzer.cpp). Every response erases, so the
  // index is kept at most 1/8 full (a few KiB for the usual few dozen).
  FlatMap<WordKey, uint32_t, WordKeyHash, 12> pending_;
  std::vector<DnsEvent> pending_events_;
  std::vector<uint32_t> free_events_;
  DnsEvent lone_event_;  // a response without its query, or an mDNS message: reported at once
  int64_t pending_oldest_ = INT64_MAX;  // no pending query is older (a bound, exact after a sweep)
  // Without a DNS sink, events are counted but never filled in (an event
  // keeps only its time, for the pending queries' timeout).
  bool want_events_ = false;
  std::unordered_map<std::string, int> alerted_;  // key -> best score reported
  Weirds weirds_, source_weirds_;
  Summary summary_;
  int64_t last_sweep_ns_ = 0;
};

// Zeek-style JSON records ("_path": "dns" | "conn" | "alert"); ts in epoch
// seconds with microseconds, as Zeek writes them.
nlohmann::json to_json(const DnsEvent& e);
nlohmann::json to_json(const Flow& f);
nlohmann::json to_json(const Alert& a);
double epoch_seconds(int64_t ts_ns);
std::string iso_time(int64_t ts_ns);  // "2026-11-22T03:20:00.123456Z"

}  // namespace opskit::net
