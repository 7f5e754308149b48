#pragma once
// Packets as they come out of a source, and the named decode anomalies
// ("weirds", after Zeek) that every layer counts instead of failing.
#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace opskit::net {

// Link-layer types (the pcap LINKTYPE_* numbers we decode).
enum LinkType : int {
  link_null = 0,
  link_ethernet = 1,
  link_raw = 101,
  link_raw_alt = 12,  // DLT_RAW on some BSDs
  link_raw_alt14 = 14,
  link_loop = 108,
  link_sll = 113,
  link_ipv4 = 228,
  link_ipv6 = 229,
  link_sll2 = 276,
};

// One captured frame. `data` points into the source's buffer and is valid
// until the next call to PacketSource::next (zero copy).
struct RawPacket {
  int64_t ts_ns = 0;       // nanoseconds since the epoch, UTC
  uint32_t caplen = 0;     // bytes present at `data`
  uint32_t wire_len = 0;   // original length on the wire
  int linktype = link_ethernet;
  const uint8_t* data = nullptr;
};

// Every named decode anomaly. Bad input is counted here and skipped.
enum class Weird : int {
  file_truncated,
  file_bad_header,
  file_bad_block,
  record_too_large,
  unknown_linktype,
  link_truncated,
  vlan_depth,
  mpls_truncated,
  ip_truncated,
  ip_bad_version,
  ip_bad_header_length,
  ip_bad_total_length,
  ip_fragment_overlap,
  ip_fragment_too_large,
  ip_fragment_table_full,
  ip_fragment_timeout,
  ipv6_ext_truncated,
  ipv6_ext_chain_too_long,
  udp_truncated,
  udp_bad_length,
  tcp_truncated,
  tcp_bad_offset,
  icmp_truncated,
  tunnel_depth,
  tunnel_truncated,
  dns_truncated,
  dns_bad_label,
  dns_name_too_long,
  dns_pointer_loop,
  dns_pointer_out_of_range,
  dns_too_many_records,
  dns_bad_rdata,
  dns_trailing_bytes,
  dns_not_dns,
  dns_tcp_gap,
  dns_tcp_oversized,
  dns_unmatched_response,
  dhcp_malformed,
  flow_evicted,
  count_
};
const char* weird_name(Weird w);

class Weirds {
 public:
  void add(Weird w, uint64_t n = 1) { counts_[static_cast<int>(w)] += n; }
  uint64_t get(Weird w) const { return counts_[static_cast<int>(w)]; }
  uint64_t total() const;
  // Non-zero counts by name, sorted by name.
  std::map<std::string, uint64_t> by_name() const;
  void merge(const Weirds& other);

 private:
  std::array<uint64_t, static_cast<int>(Weird::count_)> counts_{};
};

}  // namespace opskit::net
