// The per-packet pipeline and its Zeek-style records.
#include "net/analyzer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "core/runtime.hpp"

namespace opskit::net {

double epoch_seconds(int64_t ts_ns) { return std::round(ts_ns / 1000.0) / 1e6; }

std::string iso_time(int64_t ts_ns) {
  int64_t sec = ts_ns >= 0 ? ts_ns / 1000000000 : (ts_ns - 999999999) / 1000000000;
  int64_t us = (ts_ns - sec * 1000000000) / 1000;
  std::string base = format_iso8601(sec);  // "...Z"
  char frac[32];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us));
  return base.substr(0, base.size() - 1) + frac + "Z";
}

nlohmann::json Summary::to_json() const {
  return {{"_path", "summary"}, {"packets", packets}, {"bytes", bytes}, {"ip_packets", ip_packets},
          {"dns_messages", dns_messages}, {"dns_events", dns_events}, {"flows", flows}, {"alerts", alerts},
          {"first_ts", first_ns ? nlohmann::json(epoch_seconds(first_ns)) : nlohmann::json()},
          {"last_ts", last_ns ? nlohmann::json(epoch_seconds(last_ns)) : nlohmann::json()},
          {"weirds", weirds}};
}

nlohmann::json to_json(const DnsEvent& e) {
  nlohmann::json j = {{"_path", "dns"},
                      {"ts", epoch_seconds(e.ts_ns)},
                      {"id.orig_h", e.client.str()},
                      {"id.orig_p", e.client_port},
                      {"id.resp_h", e.server.str()},
                      {"id.resp_p", e.server_port},
                      {"proto", e.proto == proto_tcp ? "tcp" : "udp"},
                      {"service", dns_service_name(e.service)},
                      {"trans_id", e.trans_id},
                      {"query", e.query},
                      {"qclass", e.qclass},
                      {"qtype", e.qtype},
                      {"qtype_name", dns_type_name(e.qtype)},
                      {"AA", e.aa},
                      {"TC", e.tc},
                      {"RD", e.rd},
                      {"RA", e.ra},
                      {"Z", e.z ? 1 : 0}};
  if (e.rtt_ns >= 0) j["rtt"] = std::round(e.rtt_ns / 1000.0) / 1e6;
  if (e.rcode >= 0) {
    j["rcode"] = e.rcode;
    j["rcode_name"] = dns_rcode_name(static_cast<uint8_t>(e.rcode));
  }
  if (!e.answers.empty()) {
    j["answers"] = e.answers;
    j["TTLs"] = e.ttls;
  }
  if (!e.client_subnet.empty()) j["client_subnet"] = e.client_subnet;
  j["rejected"] = e.rcode == 5;
  return j;
}

nlohmann::json to_json(const Flow& f) {
  const char* proto = f.proto == proto_tcp ? "tcp" : f.proto == proto_udp ? "udp"
                      : (f.proto == proto_icmp || f.proto == proto_icmp6) ? "icmp" : "unknown_transport";
  return {{"_path", "conn"},
          {"ts", epoch_seconds(f.first_ns)},
          {"id.orig_h", f.orig.str()},
          {"id.orig_p", f.orig_port},
          {"id.resp_h", f.resp.str()},
          {"id.resp_p", f.resp_port},
          {"proto", proto},
          {"duration", std::round((f.last_ns - f.first_ns) / 1000.0) / 1e6},
          {"conn_state", f.state()},
          {"orig_pkts", f.orig_pkts},
          {"orig_ip_bytes", f.orig_bytes},
          {"resp_pkts", f.resp_pkts},
          {"resp_ip_bytes", f.resp_bytes}};
}

nlohmann::json to_json(const Alert& a) {
  return {{"_path", "alert"},      {"ts", epoch_seconds(a.first_ns)}, {"last_ts", epoch_seconds(a.last_ns)},
          {"threat_type", a.threat_type}, {"indicator", a.indicator},   {"src", a.src},
          {"dst", a.dst},          {"score", a.score},                {"severity", a.severity},
          {"evidence", a.evidence}};
}

namespace {
// A pending query's key: client and server, ports, DNS id and protocol in
// five words. Each address is read as the two 8-byte halves of its IpAddr
// (version byte first) and its last byte apart: the halves of the 16-byte
// store that copied it, so the loads take their data from the store (a load
// straddling two recent stores waits for them to reach the cache). Both
// addresses of a packet have the same version, so the server's version
// byte carries the protocol instead (xor: still one key per query).
WordKey pending_key(const IpAddr& client, const IpAddr& server, uint16_t cport, uint16_t sport, uint16_t id,
                    uint8_t proto) {
  static_assert(sizeof(IpAddr) == 17 && offsetof(IpAddr, bytes) == 1, "an IpAddr is its version and 16 bytes");
  WordKey k;
  std::memcpy(&k.w[0], &client, 16);
  std::memcpy(&k.w[2], &server, 16);
  k.w[2] ^= proto;
  k.w[4] = uint64_t(cport) << 48 | uint64_t(sport) << 32 | uint64_t(id) << 16 | uint64_t(client.bytes[15]) << 8 |
           server.bytes[15];
  return k;
}
}  // namespace

Analyzer::Analyzer(AnalyzerOptions options, const DgaModel* model, const Indicators* indicators,
                   const AllowList* allow, Sinks sinks)
    : options_(options),
      sinks_(std::move(sinks)),
      decoder_(options.decoder),
      flows_(options.flows,
             [this](const Flow& f) {
               ++summary_.flows;
               detectors_.flow(f);
               if (sinks_.conn) sinks_.conn(f);
             },
             [this](const Flow& f) { detectors_.prefetch_flow(f); }),
      dns_([this](const DnsPacketInfo& i, const DnsMessage& m) { on_dns(i, m); }),
      detectors_(model, indicators, allow, options.detectors, [this](const Alert& a) { emit_alert(a); }),
      want_events_(static_cast<bool>(sinks_.dns)) {
  // Record text is made only when something reads it: the DNS sink, or
  // domain indicators matched against CNAME targets.
  dns_.set_render(want_events_ || (indicators && !indicators->domains.empty()));
}

namespace {
// A payload the DNS parser reads (worked out once per packet).
bool carries_dns(const Decoded& d) { return d.payload_len && (is_dns_port(d.sport) || is_dns_port(d.dport)); }
}  // namespace

void Analyzer::add(const RawPacket& raw) {
  ++summary_.packets;
  summary_.bytes += raw.wire_len;
  if (raw.ts_ns) {
    if (!summary_.first_ns || raw.ts_ns < summary_.first_ns) summary_.first_ns = raw.ts_ns;
    if (raw.ts_ns > summary_.last_ns) summary_.last_ns = raw.ts_ns;
  }
  if (!lookahead_) {
    bool ok = decoder_.decode(raw, decoded_[0]);
    process(decoded_[0], ok, ok && carries_dns(decoded_[0]), nullptr, 0);
    return;
  }
  size_t slot = (head_ + queued_) % kAhead;
  Decoded& d = decoded_[slot];
  bool ok = decoder_.decode(raw, d);
  ok_[slot] = ok;
  dns_ahead_[slot] = false;
  ++queued_;
  if (ok && d.has_ip) {
    keys_[slot] = FlowTable::key_of(d);
    hashes_[slot] = FlowTable::hash_of(keys_[slot]);
    flows_.prefetch_hash(hashes_[slot]);
    dns_ahead_[slot] = carries_dns(d);
  }
  // A reassembled datagram lives in a decoder buffer that the decode after
  // next reuses: process it (and everything before it) now.
  if (d.reassembled) {
    drain();
    return;
  }
  if (queued_ == kAhead) {
    process(decoded_[head_], ok_[head_], dns_ahead_[head_], &keys_[head_], hashes_[head_]);
    head_ = (head_ + 1) % kAhead;
    --queued_;
  }
}

void Analyzer::drain() {
  for (; queued_; --queued_) {
    process(decoded_[head_], ok_[head_], dns_ahead_[head_], &keys_[head_], hashes_[head_]);
    head_ = (head_ + 1) % kAhead;
  }
}

void Analyzer::process(const Decoded& d, bool ok, bool dns, const FlowTable::Key* key, size_t key_hash) {
  devices_.packet(d, weirds_);
  if (!ok || !d.has_ip) return;
  ++summary_.ip_packets;
  bool from_orig;
  if (key) flows_.add(d, *key, key_hash, from_orig);
  else flows_.add(d, from_orig);
  detectors_.packet(d);
  if (dns) dns_.packet(d, weirds_);
  // Sweep idle state once per second of capture time.
  if (d.ts_ns - last_sweep_ns_ > 1'000'000'000) {
    if (last_sweep_ns_) {
      flush_dns(d.ts_ns - options_.dns_timeout_ns);
      flows_.expire(d.ts_ns);
    }
    last_sweep_ns_ = d.ts_ns;
  }
}

uint32_t Analyzer::new_pending_event() {
  if (free_events_.empty()) {
    pending_events_.emplace_back();
    return static_cast<uint32_t>(pending_events_.size() - 1);
  }
  uint32_t at = free_events_.back();
  free_events_.pop_back();
  return at;
}

void Analyzer::release_pending_event(uint32_t at) { free_events_.push_back(at); }

namespace {
// An event back to its defaults. Its strings and lists are emptied in place,
// keeping their capacity; the rest is set from a default event, which
// copies only those of its own members that hold no memory.
void clear_event(DnsEvent& e) {
  static const DnsEvent defaults;
  e.query.clear();
  e.client_subnet.clear();
  e.answers.clear();
  e.ttls.clear();
  e.ts_ns = defaults.ts_ns;
  e.client = defaults.client;
  e.server = defaults.server;
  e.client_port = defaults.client_port;
  e.server_port = defaults.server_port;
  e.proto = defaults.proto;
  e.service = defaults.service;
  e.trans_id = defaults.trans_id;
  e.qclass = defaults.qclass;
  e.qtype = defaults.qtype;
  e.rcode = defaults.rcode;
  e.aa = defaults.aa;
  e.tc = defaults.tc;
  e.rd = defaults.rd;
  e.ra = defaults.ra;
  e.z = defaults.z;
  e.has_query = defaults.has_query;
  e.has_response = defaults.has_response;
  e.rtt_ns = defaults.rtt_ns;
  e.query_bytes = defaults.query_bytes;
  e.response_bytes = defaults.response_bytes;
}
}  // namespace

void Analyzer::start_event(DnsEvent& e, const DnsPacketInfo& info, const DnsMessage& m) const {
  // Without a DNS sink events are only counted: an event keeps just its
  // time, which the pending queries' timeout reads.
  if (!want_events_) {
    e.ts_ns = info.ts_ns;
    return;
  }
  clear_event(e);
  e.ts_ns = info.ts_ns;
  e.client = m.response ? info.dst : info.src;
  e.server = m.response ? info.src : info.dst;
  e.client_port = m.response ? info.dport : info.sport;
  e.server_port = m.response ? info.sport : info.dport;
  e.proto = info.proto;
  e.service = info.service;
  e.trans_id = m.id;
  e.query = m.qname;
  e.qtype = m.qtype;
  e.qclass = m.qclass;
  e.rd = m.rd;
}

void Analyzer::fill_response(DnsEvent& e, const DnsPacketInfo& info, const DnsMessage& m) const {
  if (!want_events_) return;
  e.has_response = true;
  e.rcode = m.rcode;
  e.aa = m.aa;
  e.tc = m.tc;
  e.ra = m.ra;
  e.z = m.z;
  e.response_bytes = info.size;
  for (const auto& rr : m.answers) {
    e.answers.push_back(rr.type == 1 || rr.type == 28 || rr.type == 5 || rr.type == 12 || rr.type == 2
                            ? rr.data
                            : dns_type_name(rr.type) + " " + rr.data);
    e.ttls.push_back(rr.ttl);
  }
}

void Analyzer::on_dns(const DnsPacketInfo& info, const DnsMessage& m) {
  ++summary_.dns_messages;
  // The detectors' name slot loads while the pending query is matched (the
  // two are independent: neither reads what the other writes).
  detectors_.prefetch_name(m.qname_wire);
  match_pending(info, m);
  detectors_.dns(info, m);
  if (info.service == DnsService::mdns && info.has_mac) devices_.mdns(info.mac_src, info.ts_ns, m);
}

void Analyzer::match_pending(const DnsPacketInfo& info, const DnsMessage& m) {
  bool is_response = m.response;
  const WordKey key = is_response ? pending_key(info.dst, info.src, info.dport, info.sport, m.id, info.proto)
                                  : pending_key(info.src, info.dst, info.sport, info.dport, m.id, info.proto);
  const size_t key_hash = WordKeyHash{}(key);
  pending_.prefetch_hash(key_hash);
  // mDNS answers are multicast announcements, not replies: report each on its own.
  if (is_response) {
    if (info.service != DnsService::mdns)
      if (std::optional<uint32_t> found = pending_.take(key, key_hash)) {
        uint32_t at = *found;
        DnsEvent& e = pending_events_[at];
        fill_response(e, info, m);
        e.rtt_ns = info.ts_ns - e.ts_ns;
        emit_dns(e);
        release_pending_event(at);
        return;
      }
    if (info.service == DnsService::dns) weirds_.add(Weird::dns_unmatched_response);
    start_event(lone_event_, info, m);
    fill_response(lone_event_, info, m);
    emit_dns(lone_event_);
    return;
  }
  auto start_query = [&](DnsEvent& e) {
    start_event(e, info, m);
    if (!want_events_) return;
    e.has_query = true;
    e.query_bytes = info.size;
    e.client_subnet = m.client_subnet;
  };
  if (info.service == DnsService::mdns) {
    start_query(lone_event_);
    emit_dns(lone_event_);
    return;
  }
  bool inserted;
  uint32_t& slot = pending_.upsert(key, key_hash, inserted);
  if (!inserted) {  // a retransmission with the same id: report the older one, keep the new
    DnsEvent& e = pending_events_[slot];
    emit_dns(e);
    start_query(e);
    pending_oldest_ = std::min(pending_oldest_, e.ts_ns);
    return;
  }
  uint32_t at = new_pending_event();
  slot = at;
  start_query(pending_events_[at]);
  pending_oldest_ = std::min(pending_oldest_, info.ts_ns);
  if (pending_.size() > options_.max_pending_dns) flush_dns(info.ts_ns);
}

void Analyzer::emit_dns(const DnsEvent& e) {
  ++summary_.dns_events;
  if (sinks_.dns) sinks_.dns(e);
}

void Analyzer::flush_dns(int64_t older_than) {
  if (pending_.empty() || older_than < pending_oldest_) return;  // nothing is that old
  struct Due {
    int64_t ts_ns;
    uint32_t at;  // the event, which holds every field of its key
    WordKey key;
  };
  std::vector<Due> due;
  int64_t oldest_kept = INT64_MAX;
  pending_.for_each([&](const WordKey& k, uint32_t at) {
    int64_t ts = pending_events_[at].ts_ns;
    if (ts <= older_than) due.push_back(Due{ts, at, k});
    else oldest_kept = std::min(oldest_kept, ts);
  });
  pending_oldest_ = oldest_kept;
  if (due.empty()) return;
  // The whole key orders the ties: reports never depend on the table's
  // layout. (Only a sink sees the order; the fields are not kept without one.)
  if (want_events_)
    std::sort(due.begin(), due.end(), [&](const Due& a, const Due& b) {
      if (a.ts_ns != b.ts_ns) return a.ts_ns < b.ts_ns;
      const DnsEvent &x = pending_events_[a.at], &y = pending_events_[b.at];
      if (!(x.client == y.client)) return x.client < y.client;
      if (x.client_port != y.client_port) return x.client_port < y.client_port;
      if (x.trans_id != y.trans_id) return x.trans_id < y.trans_id;
      if (!(x.server == y.server)) return x.server < y.server;
      if (x.server_port != y.server_port) return x.server_port < y.server_port;
      return x.proto < y.proto;
    });
  for (const Due& d : due) {
    pending_.erase(d.key);
    emit_dns(pending_events_[d.at]);
    release_pending_event(d.at);
  }
}

void Analyzer::emit_alert(const Alert& a) {
  if (a.score < options_.threshold) return;
  auto it = alerted_.find(a.key());
  if (it != alerted_.end() && it->second >= a.score) return;
  alerted_[a.key()] = a.score;
  ++summary_.alerts;
  if (sinks_.alert) sinks_.alert(a);
}

void Analyzer::emit_alerts(const std::vector<Alert>& alerts) {
  for (const auto& a : alerts) emit_alert(a);
}

void Analyzer::tick(int64_t now_ns, const HostHistory& history) {
  drain();
  flush_dns(now_ns - options_.dns_timeout_ns);
  flows_.expire(now_ns);
  emit_alerts(detectors_.evaluate(history));
}

void Analyzer::finish(const HostHistory& history) {
  drain();
  flush_dns(INT64_MAX);
  flows_.flush();
  emit_alerts(detectors_.evaluate(history));
}

Summary Analyzer::summary() const {
  Summary s = summary_;
  Weirds all = weirds_;
  all.merge(decoder_.weirds());
  all.merge(source_weirds_);
  if (flows_.evicted()) all.add(Weird::flow_evicted, flows_.evicted());
  s.weirds = all.by_name();
  return s;
}

}  // namespace opskit::net
