#pragma once
// A small generator of synthetic traffic, so examples and tests use captures
// the project writes itself: Ethernet/IPv4 frames carrying DNS over UDP and
// TCP, TCP handshakes, SYN scans, DHCP requests and periodic beacons.
#include <cstdint>
#include <string>
#include <vector>

namespace opskit::net::synth {

using Bytes = std::vector<uint8_t>;

// A DNS message: one question, optional answers (A records or a CNAME/TXT text).
Bytes dns_query(uint16_t id, const std::string& name, uint16_t qtype);
Bytes dns_response(uint16_t id, const std::string& name, uint16_t qtype, uint8_t rcode,
                   const std::vector<std::string>& a_records);

struct Endpoint {
  uint8_t mac[6];
  uint32_t ip;  // host order, e.g. 0xC0A80102 for 192.168.1.2
  uint16_t port;
};
uint32_t ipv4(const std::string& dotted);

Bytes udp_frame(const Endpoint& src, const Endpoint& dst, const Bytes& payload);
Bytes tcp_frame(const Endpoint& src, const Endpoint& dst, uint32_t seq, uint8_t flags, const Bytes& payload);
// DHCP REQUEST from `client` with option 12 (host name) and option 50.
Bytes dhcp_request(const Endpoint& client, const std::string& hostname, uint32_t requested_ip);

struct Frame {
  int64_t ts_ns;
  Bytes data;
};

// The example scenario (examples/capture/): a small office network where one
// laptop resolves DGA-looking names, tunnels data over DNS TXT queries,
// beacons every 60 s to one server and port-scans a printer; plus benign
// lookups, a DHCP exchange and an mDNS announcement. Deterministic for a seed.
std::vector<Frame> example_scenario(uint64_t seed, int64_t start_unix_seconds);

// Writes frames as a classic pcap file (Ethernet).
void write_pcap(const std::string& path, const std::vector<Frame>& frames);

}  // namespace opskit::net::synth
