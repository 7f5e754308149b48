#pragma once
// Packet decoding: link layers (Ethernet, 802.1Q/QinQ, MPLS, Linux SLL and
// SLL2, raw IPv4/IPv6, BSD loopback/null), IPv4 with bounded fragment
// reassembly, IPv6 with extension headers and fragments, UDP, TCP, ICMP, and
// the common tunnels (VXLAN, Geneve, Teredo, IP-in-IP, GRE) down to the
// innermost transport. Every length is checked; anomalies are counted.
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/packet.hpp"

namespace opskit::net {

// An IPv4 or IPv6 address (IPv4 kept in the first 4 bytes).
struct IpAddr {
  uint8_t version = 0;  // 0 = none, 4, 6
  uint8_t bytes[16] = {0};
  // Compared as words, not through memcmp with a run-time length (a library
  // call per compare, several per packet); an IPv4 address is its first 4 bytes.
  bool operator==(const IpAddr& o) const {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, bytes, 8);
    std::memcpy(&a1, bytes + 8, 8);
    std::memcpy(&b0, o.bytes, 8);
    std::memcpy(&b1, o.bytes + 8, 8);
    uint64_t diff = version == 4 ? uint32_t(a0 ^ b0) : ((a0 ^ b0) | (a1 ^ b1));
    return version == o.version && diff == 0;
  }
  // Byte order (as memcmp), from big-endian words: the report sorts call it
  // for every tie, and memcmp with a run-time length is a library call.
  bool operator<(const IpAddr& o) const {
    if (version != o.version) return version < o.version;
    uint64_t a0 = big_endian_word(0), b0 = o.big_endian_word(0);
    if (version == 4) return (a0 >> 32) < (b0 >> 32);
    if (a0 != b0) return a0 < b0;
    return big_endian_word(1) < o.big_endian_word(1);
  }
  // Bytes 8i..8i+7 as a number, the first byte most significant.
  uint64_t big_endian_word(int i) const {
    uint64_t w;
    std::memcpy(&w, bytes + 8 * i, 8);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    return w;
  }
  std::string str() const;
  // Private, loopback, link-local, multicast or unspecified: not "external".
  bool is_internal() const;
  static bool parse(const std::string& text, IpAddr& out);
};

enum Proto : uint8_t { proto_icmp = 1, proto_tcp = 6, proto_udp = 17, proto_icmp6 = 58 };

namespace tcp_flag {
constexpr uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
}

// The decoded view of a packet. Pointers refer either to the raw packet or
// to one of the decoder's two reassembly buffers (used in turn), which stays
// valid until the decode after next.
struct Decoded {
  int64_t ts_ns = 0;
  uint32_t wire_len = 0;
  bool has_mac = false;
  uint8_t mac_src[6] = {0}, mac_dst[6] = {0};
  uint16_t vlan = 0;
  bool is_arp = false;       // with arp_* filled
  uint16_t arp_op = 0;
  IpAddr arp_sender_ip;
  bool has_ip = false;
  IpAddr src, dst;
  uint8_t proto = 0;
  uint8_t ttl = 0;
  uint32_t ip_len = 0;       // IP datagram length (after reassembly)
  bool reassembled = false;
  uint16_t sport = 0, dport = 0;
  uint8_t tcp_flags = 0;
  uint32_t tcp_seq = 0;
  uint8_t icmp_type = 0, icmp_code = 0;
  const uint8_t* payload = nullptr;  // transport payload
  uint32_t payload_len = 0;
  int tunnel_depth = 0;
};

struct DecoderOptions {
  size_t max_fragment_sets = 1024;       // concurrent datagrams being reassembled
  size_t max_datagram = 65535;
  int64_t fragment_timeout_ns = 30'000'000'000;
  int max_tunnel_depth = 3;
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {});
  // Decodes one frame. Returns false when nothing above the link layer could
  // be decoded (ARP still returns true with is_arp), or when the packet is a
  // fragment still waiting for the rest of its datagram.
  bool decode(const RawPacket& raw, Decoded& out);
  Weirds& weirds() { return weirds_; }
  const Weirds& weirds() const { return weirds_; }
  size_t pending_fragments() const { return frags_.size(); }

 private:
  bool link(int linktype, const uint8_t* p, size_t n, Decoded& d);
  bool ether(const uint8_t* p, size_t n, Decoded& d, bool with_macs);
  bool by_ethertype(uint16_t type, const uint8_t* p, size_t n, Decoded& d);
  bool ipv4(const uint8_t* p, size_t n, Decoded& d);
  bool ipv6(const uint8_t* p, size_t n, Decoded& d);
  bool ip_by_version(const uint8_t* p, size_t n, Decoded& d);
  bool transport(uint8_t proto, const uint8_t* p, size_t n, Decoded& d);
  bool tunnel_udp(const uint8_t* p, size_t n, Decoded& d);

  struct FragKey {
    IpAddr src, dst;
    uint32_t id;
    uint8_t proto;
    bool operator==(const FragKey& o) const { return src == o.src && dst == o.dst && id == o.id && proto == o.proto; }
  };
  struct FragKeyHash {
    size_t operator()(const FragKey& k) const;
  };
  struct FragSet {
    std::vector<uint8_t> data;
    std::vector<std::pair<uint32_t, uint32_t>> have;  // [begin, end) ranges received
    uint32_t total = 0;                               // known once the last fragment arrives
    int64_t first_ns = 0;
  };
  // Adds a fragment; returns true (with the datagram in buffers_[current_]) when complete.
  bool add_fragment(const FragKey& key, uint32_t offset, const uint8_t* p, size_t n, bool more, int64_t ts);
  void expire_fragments(int64_t now);

  DecoderOptions options_;
  Weirds weirds_;
  std::unordered_map<FragKey, FragSet, FragKeyHash> frags_;
  std::deque<std::pair<int64_t, FragKey>> frag_order_;
  std::vector<uint8_t> buffers_[2];  // the last two reassembled datagram payloads
  int current_ = 0;                  // which of them holds the latest
  int64_t now_ns_ = 0;
};

}  // namespace opskit::net
