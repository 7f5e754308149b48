#pragma once
// Threat detectors. Each scores 0-100 with evidence:
//   dga            DGA-looking registrable domains (DgaModel), NXDOMAIN share
//   dns_tunnel     many unique / long / high-entropy subdomains under one
//                  registrable domain, TXT/NULL/CNAME/MX volume, bytes per name,
//                  query rate per client
//   beacon         regular connection intervals and sizes between a host
//                  pair, scored the way RITA does (Bowley skew, MADM, count,
//                  how much of the capture window the pair spans)
//   exfiltration   outbound bytes of an internal host against its own history
//   port_scan / host_sweep   failed connections to many ports / many hosts
//   indicator      the tenant's domains, IPs and CIDRs, matched on every packet
// Names and hosts on the allow-list never alert.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/decode.hpp"
#include "net/dga.hpp"
#include "net/dns_stream.hpp"
#include "net/flat_map.hpp"
#include "net/flows.hpp"

namespace opskit::net {

struct Alert {
  int64_t first_ns = 0, last_ns = 0;
  std::string threat_type;
  std::string indicator;  // the domain, address or pair the alert is about
  std::string src, dst;
  int score = 0;
  std::string severity;
  nlohmann::json evidence = nlohmann::json::object();
  // Natural key for idempotent storage: type, indicator and source.
  std::string key() const { return threat_type + "|" + indicator + "|" + src; }
};
// low < 40 <= medium < 70 <= high < 90 <= critical
std::string severity_for(int score);
int severity_rank(const std::string& severity);  // low 1 .. critical 4, else 0

// An address or CIDR set with fast membership by prefix length.
class CidrSet {
 public:
  // "192.0.2.1", "192.0.2.0/24", "2001:db8::/32"; false when unparsable.
  bool add(const std::string& text);
  // The matching entry as written, or nullopt.
  std::optional<std::string> match(const IpAddr& ip) const;
  bool empty() const { return by_len_.empty(); }

 private:
  struct Bucket {
    uint8_t version, prefix;
    std::unordered_map<std::string, std::string> masked;  // masked bytes -> original text
  };
  std::vector<Bucket> by_len_;
};

// Domain names matched as themselves or any name below them.
class DomainSet {
 public:
  void add(const std::string& domain);
  std::optional<std::string> match(std::string_view name) const;
  bool empty() const { return names_.empty(); }

 private:
  std::unordered_set<std::string> names_;
};

struct Indicators {
  DomainSet domains;
  CidrSet hosts;
  // Adds "kind,value": kind domain | ip | cidr (ip and cidr are the same set).
  bool add(const std::string& kind, const std::string& value);
};

// Allow-list: "*.cdn.example" (the name and everything below), exact names,
// addresses and CIDRs.
class AllowList {
 public:
  bool add(const std::string& pattern);
  bool allows_name(std::string_view name) const;
  bool allows_host(const std::string& address) const;
  bool allows(const Alert& alert) const;

 private:
  DomainSet names_;
  CidrSet hosts_;
};

// Per-host outbound byte history from earlier runs (exfiltration baseline).
struct HostHistory {
  struct Stats {
    int64_t runs = 0;
    double mean = 0, stddev = 0;
  };
  std::map<std::string, Stats> hosts;
};

struct DetectorOptions {
  size_t max_domains = 100000;      // tracked registrable domains
  size_t max_pairs = 100000;        // tracked host pairs for beaconing
  size_t max_names_per_domain = 5000;
  size_t max_sources = 50000;       // tracked scan sources
  int beacon_min_connections = 6;
  int64_t exfil_min_bytes = 50'000'000;  // without history, outbound volume alone
};

class Detectors {
 public:
  using Sink = std::function<void(const Alert&)>;
  // Indicator matches are reported through `immediate` as they happen; the
  // window detectors report from evaluate().
  Detectors(const DgaModel* model, const Indicators* indicators, const AllowList* allow, DetectorOptions options,
            Sink immediate);
  void dns(const DnsPacketInfo& info, const DnsMessage& m);
  // Starts loading the index slot of a message's question name, ahead of dns().
  void prefetch_name(const DnsWireName& name) const;
  void packet(const Decoded& d);
  void flow(const Flow& f);
  // Starts loading the table slots flow(f) will look up (called some flows
  // before flow(f): finished flows come in bulk, their keys scattered).
  void prefetch_flow(const Flow& f) const;
  // Every alert the window detectors see now, sorted by key.
  std::vector<Alert> evaluate(const HostHistory& history) const;
  // Outbound bytes per internal host in this run (to record as history).
  std::map<std::string, uint64_t> outbound_bytes() const;

 private:
  // Per-flow and per-message state is keyed by addresses, never by their
  // text: strings are made only for the few entries that become alerts.
  struct IpHash {
    size_t operator()(const IpAddr& ip) const { return static_cast<size_t>(hash_ip(ip)); }
  };
  struct IpPair {
    IpAddr a, b;
    bool operator==(const IpPair& o) const { return a == o.a && b == o.b; }
  };
  struct IpPairHash {
    size_t operator()(const IpPair& p) const { return static_cast<size_t>(hash_ip(p.b, hash_ip(p.a))); }
  };
  struct IpPort {
    IpAddr ip;
    uint16_t port = 0;
    bool operator==(const IpPort& o) const { return port == o.port && ip == o.ip; }
  };
  struct IpPortHash {
    size_t operator()(const IpPort& p) const { return static_cast<size_t>(hash_ip(p.ip, p.port + 1)); }
  };
  struct Attempt {  // one failed (source, target, port)
    IpAddr src, dst;
    uint16_t port = 0;
    bool operator==(const Attempt& o) const { return port == o.port && src == o.src && dst == o.dst; }
  };
  struct AttemptHash {
    size_t operator()(const Attempt& t) const { return static_cast<size_t>(hash_ip(t.dst, hash_ip(t.src, t.port + 7))); }
  };
  struct NameHash {
    size_t operator()(uint64_t h) const { return static_cast<size_t>(h); }  // already a hash
  };
  struct DomainStats {
    uint64_t queries = 0, nxdomain = 0, odd_types = 0, sub_bytes = 0, answer_bytes = 0;
    size_t max_sub = 0;
    double entropy_sum = 0;
    FlatMap<uint64_t, char, NameHash> names;  // hashes of the distinct names seen (a set)
    std::vector<IpAddr> clients;  // at most 64, distinct
    std::string example;
    int64_t first_ns = 0, last_ns = 0;
    double dga = -1;
  };
  struct PairStats {
    // The first connection is kept inline: most pairs never see a second,
    // and a pair's entry stays small (32 bytes) without the series.
    int64_t start0 = 0;
    uint64_t bytes0 = 0;
    uint32_t count = 0;
    uint32_t series = 0;  // pair_series_[series] holds every start once count >= 2
    uint16_t port = 0;
    uint8_t proto = 0;
  };
  struct PairSeries {
    std::vector<int64_t> starts;
    std::vector<uint64_t> bytes;
  };
  struct ScanSource {
    int64_t first_ns = 0, last_ns = 0;
    uint32_t targets = 0;  // distinct hosts with a failed attempt
  };
  // What a DNS name means to the detectors, worked out once per distinct
  // name: names recur (a query and its response, retries, resolvers asking
  // again), and the public-suffix split and the domain lookup cost more
  // than the rest of a message. Later messages find the name by the hash of
  // its wire form that the parser made (the stored wire bytes are compared)
  // and go straight to their domain, with no text made. Bounded: the table
  // starts over when full.
  struct NameInfo {
    uint64_t hash = 0;              // DnsWireName::hash, also the name's identity in DomainStats::names
    DomainStats* domain = nullptr;  // null: not tracked (no registrable domain, arpa, table full)
    double sub_entropy = 0;
    uint16_t sub_len = 0;  // subdomain length (normalised), 0 for none
    uint8_t len = 0;       // the name's wire bytes, which follow this header in names_
    // Already in its domain's set of names: a later query of it need not
    // probe the set (names never leave it), which is a cache miss per query.
    bool counted = false;
    const uint8_t* wire() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  };
  NameInfo* name_info(const DnsWireName& name, int64_t ts_ns);
  void report_indicator(const std::string& what, const std::string& matched, const std::string& src,
                        const std::string& dst, int64_t ts, const std::string& via);
  static std::vector<std::string> client_strings(const DomainStats& s);

  const DgaModel* model_;
  const Indicators* indicators_;
  const AllowList* allow_;
  DetectorOptions options_;
  Sink immediate_;
  struct DomainHash {  // keyed (flat_map.hpp): registrable domains are chosen by whoever queries them
    size_t operator()(const std::string& d) const {
      return static_cast<size_t>(dns_wire_hash(reinterpret_cast<const uint8_t*>(d.data()), d.size()));
    }
  };
  std::unordered_map<std::string, DomainStats, DomainHash> domains_;  // nodes: pointers to them stay valid
  DomainSplitCache split_cache_;
  // The names: each a NameInfo with its wire bytes right after it, in one
  // arena (reserved whole, so records never move), so a name met again costs
  // the index slot and one record. The index is open addressing over 8-byte
  // slots (the hash's top half, and the record's offset in 8-byte units + 1;
  // 0 is empty), insert-only, small enough to stay near the core.
  std::vector<uint64_t> name_slots_;
  // The arena asks for huge pages (advice): a tunnel's thousands of names
  // fill a megabyte or more, a page fault per 4 KiB otherwise.
  struct ArenaFree {
    void operator()(unsigned char* p) const;
  };
  std::unique_ptr<unsigned char[], ArenaFree> names_;
  size_t names_used_ = 0, name_count_ = 0;
  std::string domain_key_;  // the registrable domain being looked up (its capacity kept)
  // The terms p log2 p of a subdomain's entropy (a byte that n of its len
  // bytes are), kept across names: a tunnel's names share a few lengths and
  // counts, so a handful of terms serve thousands of names. Direct-mapped by
  // (len, n); a key of 0 is empty (n is never 0).
  struct EntropyTerm {
    uint32_t key = 0;  // len << 16 | n
    double term = 0;
  };
  std::array<EntropyTerm, 256> entropy_terms_{};
  double entropy(std::string_view s);
  FlatMap<IpPair, PairStats, IpPairHash> pairs_;
  std::vector<PairSeries> pair_series_;  // of the pairs seen twice or more (never more than pairs_)
  FlatMap<IpAddr, ScanSource, IpHash> scans_;
  FlatMap<Attempt, char, AttemptHash> attempts_;
  FlatMap<IpPair, uint32_t, IpPairHash> ports_per_target_;  // (source, target) -> failed ports
  FlatMap<IpPort, uint32_t, IpPortHash> hosts_per_port_;     // (source, port) -> failed hosts
  FlatMap<IpAddr, uint64_t, IpHash> outbound_;
  std::unordered_set<std::string> reported_;
  int64_t first_ns_ = 0, last_ns_ = 0;
};

}  // namespace opskit::net
