#include "net/packet.hpp"

namespace opskit::net {

const char* weird_name(Weird w) {
  static const char* names[] = {
      "file_truncated", "file_bad_header", "file_bad_block", "record_too_large", "unknown_linktype",
      "link_truncated", "vlan_depth", "mpls_truncated", "ip_truncated", "ip_bad_version",
      "ip_bad_header_length", "ip_bad_total_length", "ip_fragment_overlap", "ip_fragment_too_large",
      "ip_fragment_table_full", "ip_fragment_timeout", "ipv6_ext_truncated", "ipv6_ext_chain_too_long",
      "udp_truncated", "udp_bad_length", "tcp_truncated", "tcp_bad_offset", "icmp_truncated", "tunnel_depth",
      "tunnel_truncated", "dns_truncated", "dns_bad_label", "dns_name_too_long", "dns_pointer_loop",
      "dns_pointer_out_of_range", "dns_too_many_records", "dns_bad_rdata", "dns_trailing_bytes", "dns_not_dns",
      "dns_tcp_gap", "dns_tcp_oversized", "dns_unmatched_response", "dhcp_malformed", "flow_evicted"};
  static_assert(sizeof names / sizeof *names == static_cast<size_t>(Weird::count_), "every weird has a name");
  return names[static_cast<int>(w)];
}

uint64_t Weirds::total() const {
  uint64_t t = 0;
  for (auto c : counts_) t += c;
  return t;
}

std::map<std::string, uint64_t> Weirds::by_name() const {
  std::map<std::string, uint64_t> out;
  for (int i = 0; i < static_cast<int>(Weird::count_); ++i)
    if (counts_[i]) out[weird_name(static_cast<Weird>(i))] = counts_[i];
  return out;
}

void Weirds::merge(const Weirds& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

}  // namespace opskit::net
