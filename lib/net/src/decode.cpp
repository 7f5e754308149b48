// Link, network and transport decoding with bounds checks on every read.
#include <algorithm>
#include <cstdio>
#include <type_traits>

#include <arpa/inet.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "net/decode.hpp"
#include "net/flat_map.hpp"  // hash_ip

namespace opskit::net {

namespace {
inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
// The 4 address bytes at p, then 12 zeros, in one 16-byte store: the flow
// key reads the address straight back as 16 bytes (GCC merges its two
// 8-byte loads), and a load is forwarded from a store only when that one
// store holds all of it; spanning several, it waits for them to reach the
// cache.
inline void store_ipv4(IpAddr& ip, const uint8_t* p) {
#if defined(__SSE2__)
  int a;
  std::memcpy(&a, p, 4);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(ip.bytes), _mm_cvtsi32_si128(a));
#else
  uint8_t b[16] = {};
  std::memcpy(b, p, 4);
  std::memcpy(ip.bytes, b, 16);
#endif
}
}  // namespace

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (version == 4) inet_ntop(AF_INET, bytes, buf, sizeof buf);
  else if (version == 6) inet_ntop(AF_INET6, bytes, buf, sizeof buf);
  return buf;
}

bool IpAddr::parse(const std::string& text, IpAddr& out) {
  out = IpAddr{};
  if (inet_pton(AF_INET, text.c_str(), out.bytes) == 1) {
    out.version = 4;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out.bytes) == 1) {
    out.version = 6;
    return true;
  }
  return false;
}

bool IpAddr::is_internal() const {
  const uint8_t* b = bytes;
  if (version == 4) {
    return b[0] == 10 || b[0] == 127 || b[0] == 0 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) || b[0] >= 224 ||
           (b[0] == 100 && (b[1] & 0xc0) == 64);
  }
  if (version == 6) {
    static const uint8_t zero[16] = {0};
    bool loop = std::memcmp(b, zero, 15) == 0 && (b[15] == 1 || b[15] == 0);
    return loop || (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff;
  }
  return true;
}

size_t Decoder::FragKeyHash::operator()(const FragKey& k) const {
  return static_cast<size_t>(hash_ip(k.dst, hash_ip(k.src, uint64_t(k.id) << 8 | k.proto)));
}

Decoder::Decoder(DecoderOptions options) : options_(options) {}

namespace {
// Ethernet, IPv4 without options or fragments, then TCP or UDP with sane
// lengths and no tunnel port: most packets. Decoded in one straight line,
// with the same result as the general path (which takes everything else,
// and every packet that would count an anomaly). False: not this shape,
// nothing written.
inline bool fast_ether_ipv4(const uint8_t* p, size_t n, Decoded& d) {
  if (n < 14 + 20 + 8 || be16(p + 12) != 0x0800 || p[14] != 0x45) return false;
  const uint8_t* ip = p + 14;
  size_t avail = n - 14, total = be16(ip + 2);
  if (total < 20 || total > avail || (be16(ip + 6) & 0x3fff)) return false;
  uint8_t proto = ip[9];
  const uint8_t* t = ip + 20;
  size_t tn = total - 20;
  uint16_t sport = be16(t), dport = be16(t + 2);
  const uint8_t* payload;
  size_t payload_len;
  if (proto == proto_udp) {
    size_t len = be16(t + 4);
    if (tn < 8 || len < 8 || len > tn) return false;
    if (sport == 4789 || dport == 4789 || sport == 6081 || dport == 6081 || sport == 3544 || dport == 3544) return false;
    payload = t + 8;
    payload_len = len - 8;
  } else if (proto == proto_tcp) {
    if (tn < 20) return false;
    size_t off = size_t(t[12] >> 4) * 4;
    if (off < 20 || off > tn) return false;
    d.tcp_seq = be32(t + 4);
    d.tcp_flags = t[13];
    payload = t + off;
    payload_len = tn - off;
  } else {
    return false;
  }
  d.has_mac = true;
  std::memcpy(d.mac_dst, p, 6);
  std::memcpy(d.mac_src, p + 6, 6);
  d.has_ip = true;
  d.src.version = d.dst.version = 4;
  store_ipv4(d.src, ip + 12);
  store_ipv4(d.dst, ip + 16);
  d.ttl = ip[8];
  d.proto = proto;
  d.ip_len = static_cast<uint32_t>(total);
  d.sport = sport;
  d.dport = dport;
  d.payload = payload;
  d.payload_len = static_cast<uint32_t>(payload_len);
  return true;
}
}  // namespace

bool Decoder::decode(const RawPacket& raw, Decoded& d) {
  // Copied from a blank record: GCC writes that as eight vector stores,
  // where `d = Decoded{}` becomes a `rep stos` whose start-up costs as much
  // as the rest of a small packet's decode.
  static const Decoded blank{};
  static_assert(std::is_trivially_copyable_v<Decoded>);
  std::memcpy(&d, &blank, sizeof d);
  d.ts_ns = raw.ts_ns;
  d.wire_len = raw.wire_len;
  now_ns_ = raw.ts_ns;
  if (!frags_.empty()) expire_fragments(raw.ts_ns);
  if (!raw.data) return false;
  if (raw.linktype == link_ethernet && fast_ether_ipv4(raw.data, raw.caplen, d)) return true;
  return link(raw.linktype, raw.data, raw.caplen, d);
}

bool Decoder::link(int linktype, const uint8_t* p, size_t n, Decoded& d) {
  switch (linktype) {
    case link_ethernet:
      return ether(p, n, d, true);
    case link_raw:
    case link_raw_alt:
    case link_raw_alt14:
    case link_ipv4:
    case link_ipv6:
      return ip_by_version(p, n, d);
    case link_null:
    case link_loop: {
      if (n < 4) {
        weirds_.add(Weird::link_truncated);
        return false;
      }
      uint32_t fam;
      if (linktype == link_loop) fam = be32(p);
      else {
        std::memcpy(&fam, p, 4);  // host order of the capturing machine: accept both
        if (fam > 0xffff) fam = __builtin_bswap32(fam);
      }
      if (fam == 2) return ipv4(p + 4, n - 4, d);
      if (fam == 24 || fam == 28 || fam == 30 || fam == 10) return ipv6(p + 4, n - 4, d);
      weirds_.add(Weird::unknown_linktype);
      return false;
    }
    case link_sll: {
      if (n < 16) {
        weirds_.add(Weird::link_truncated);
        return false;
      }
      uint16_t halen = be16(p + 4);
      if (halen == 6) {
        d.has_mac = true;
        std::memcpy(d.mac_src, p + 6, 6);
      }
      return by_ethertype(be16(p + 14), p + 16, n - 16, d);
    }
    case link_sll2: {
      if (n < 20) {
        weirds_.add(Weird::link_truncated);
        return false;
      }
      if (p[11] == 6) {
        d.has_mac = true;
        std::memcpy(d.mac_src, p + 12, 6);
      }
      return by_ethertype(be16(p), p + 20, n - 20, d);
    }
    default:
      weirds_.add(Weird::unknown_linktype);
      return false;
  }
}

bool Decoder::ether(const uint8_t* p, size_t n, Decoded& d, bool with_macs) {
  if (n < 14) {
    weirds_.add(Weird::link_truncated);
    return false;
  }
  if (with_macs && d.tunnel_depth == 0) {
    d.has_mac = true;
    std::memcpy(d.mac_dst, p, 6);
    std::memcpy(d.mac_src, p + 6, 6);
  }
  return by_ethertype(be16(p + 12), p + 14, n - 14, d);
}

bool Decoder::by_ethertype(uint16_t type, const uint8_t* p, size_t n, Decoded& d) {
  for (int depth = 0;; ++depth) {
    if (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
      if (depth >= 8) {
        weirds_.add(Weird::vlan_depth);
        return false;
      }
      if (n < 4) {
        weirds_.add(Weird::link_truncated);
        return false;
      }
      if (!d.vlan) d.vlan = be16(p) & 0x0fff;
      type = be16(p + 2);
      p += 4;
      n -= 4;
      continue;
    }
    break;
  }
  switch (type) {
    case 0x0800:
      return ipv4(p, n, d);
    case 0x86dd:
      return ipv6(p, n, d);
    case 0x0806: {
      if (n < 28) {
        weirds_.add(Weird::link_truncated);
        return false;
      }
      if (be16(p) == 1 && be16(p + 2) == 0x0800 && p[4] == 6 && p[5] == 4) {
        d.is_arp = true;
        d.arp_op = be16(p + 6);
        d.arp_sender_ip.version = 4;
        std::memcpy(d.arp_sender_ip.bytes, p + 14, 4);
        if (!d.has_mac) {
          d.has_mac = true;
          std::memcpy(d.mac_src, p + 8, 6);
        }
      }
      return true;
    }
    case 0x8847:
    case 0x8848: {  // MPLS: pop labels to the bottom of stack, then sniff the IP version
      for (int i = 0; i < 16; ++i) {
        if (n < 4) {
          weirds_.add(Weird::mpls_truncated);
          return false;
        }
        bool bottom = p[2] & 1;
        p += 4;
        n -= 4;
        if (bottom) return ip_by_version(p, n, d);
      }
      weirds_.add(Weird::mpls_truncated);
      return false;
    }
    case 0x8864: {  // PPPoE session: 6-byte header, then the PPP protocol
      if (n < 8) {
        weirds_.add(Weird::link_truncated);
        return false;
      }
      uint16_t ppp = be16(p + 6);
      if (ppp == 0x0021) return ipv4(p + 8, n - 8, d);
      if (ppp == 0x0057) return ipv6(p + 8, n - 8, d);
      return false;
    }
    case 0x6558:
      if (++d.tunnel_depth > options_.max_tunnel_depth) {
        weirds_.add(Weird::tunnel_depth);
        return false;
      }
      return ether(p, n, d, false);
    default:
      return false;  // not IP: counted nowhere, it is simply not ours
  }
}

bool Decoder::ip_by_version(const uint8_t* p, size_t n, Decoded& d) {
  if (n < 1) {
    weirds_.add(Weird::ip_truncated);
    return false;
  }
  if ((p[0] >> 4) == 4) return ipv4(p, n, d);
  if ((p[0] >> 4) == 6) return ipv6(p, n, d);
  weirds_.add(Weird::ip_bad_version);
  return false;
}

bool Decoder::ipv4(const uint8_t* p, size_t n, Decoded& d) {
  if (n < 20) {
    weirds_.add(Weird::ip_truncated);
    return false;
  }
  if ((p[0] >> 4) != 4) {
    weirds_.add(Weird::ip_bad_version);
    return false;
  }
  size_t ihl = size_t(p[0] & 0x0f) * 4;
  if (ihl < 20 || ihl > n) {
    weirds_.add(Weird::ip_bad_header_length);
    return false;
  }
  size_t total = be16(p + 2);
  if (total < ihl) {
    // TSO-offloaded captures carry 0 here; trust the capture length then.
    if (total != 0) {
      weirds_.add(Weird::ip_bad_total_length);
      return false;
    }
    total = n;
  }
  if (total > n) {
    weirds_.add(Weird::ip_truncated);  // snaplen-cut: decode what is there
    total = n;
  }
  d.has_ip = true;
  d.src.version = d.dst.version = 4;
  store_ipv4(d.src, p + 12);
  store_ipv4(d.dst, p + 16);
  d.ttl = p[8];
  d.proto = p[9];
  d.ip_len = static_cast<uint32_t>(total);
  uint16_t frag = be16(p + 6);
  bool more = frag & 0x2000;
  uint32_t offset = uint32_t(frag & 0x1fff) * 8;
  if (more || offset) {
    FragKey key{d.src, d.dst, be16(p + 4), d.proto};
    if (!add_fragment(key, offset, p + ihl, total - ihl, more, d.ts_ns)) return false;
    d.reassembled = true;
    const auto& datagram = buffers_[current_];
    d.ip_len = static_cast<uint32_t>(ihl + datagram.size());
    return transport(d.proto, datagram.data(), datagram.size(), d);
  }
  return transport(d.proto, p + ihl, total - ihl, d);
}

bool Decoder::ipv6(const uint8_t* p, size_t n, Decoded& d) {
  if (n < 40) {
    weirds_.add(Weird::ip_truncated);
    return false;
  }
  if ((p[0] >> 4) != 6) {
    weirds_.add(Weird::ip_bad_version);
    return false;
  }
  size_t plen = be16(p + 4);
  size_t avail = n - 40;
  if (plen == 0) plen = avail;  // jumbogram or offload
  if (plen > avail) {
    weirds_.add(Weird::ip_truncated);
    plen = avail;
  }
  d.has_ip = true;
  d.src.version = d.dst.version = 6;
  std::memcpy(d.src.bytes, p + 8, 16);
  std::memcpy(d.dst.bytes, p + 24, 16);
  d.ttl = p[7];
  d.ip_len = static_cast<uint32_t>(40 + plen);
  uint8_t next = p[6];
  const uint8_t* q = p + 40;
  size_t left = plen;
  for (int i = 0;; ++i) {
    if (i > 16) {
      weirds_.add(Weird::ipv6_ext_chain_too_long);
      return false;
    }
    if (next == 0 || next == 43 || next == 60 || next == 51 || next == 135 || next == 139 || next == 140) {
      if (left < 8) {
        weirds_.add(Weird::ipv6_ext_truncated);
        return false;
      }
      size_t len = next == 51 ? (size_t(q[1]) + 2) * 4 : (size_t(q[1]) + 1) * 8;
      if (len > left) {
        weirds_.add(Weird::ipv6_ext_truncated);
        return false;
      }
      next = q[0];
      q += len;
      left -= len;
      continue;
    }
    if (next == 44) {
      if (left < 8) {
        weirds_.add(Weird::ipv6_ext_truncated);
        return false;
      }
      uint16_t off = be16(q + 2);
      FragKey key{d.src, d.dst, be32(q + 4), q[0]};
      uint32_t offset = uint32_t(off >> 3) * 8;
      bool more = off & 1;
      next = q[0];
      d.proto = next;
      if (!more && offset == 0) {  // atomic fragment
        q += 8;
        left -= 8;
        continue;
      }
      if (!add_fragment(key, offset, q + 8, left - 8, more, d.ts_ns)) return false;
      d.reassembled = true;
      const auto& datagram = buffers_[current_];
      d.ip_len = static_cast<uint32_t>(40 + datagram.size());
      // Extension headers after the fragment header are rare; decode the transport directly.
      return transport(next, datagram.data(), datagram.size(), d);
    }
    break;
  }
  d.proto = next;
  return transport(next, q, left, d);
}

bool Decoder::transport(uint8_t proto, const uint8_t* p, size_t n, Decoded& d) {
  d.proto = proto;
  switch (proto) {
    case proto_udp: {
      if (n < 8) {
        weirds_.add(Weird::udp_truncated);
        return true;
      }
      d.sport = be16(p);
      d.dport = be16(p + 2);
      size_t len = be16(p + 4);
      if (len < 8) {
        if (len != 0) weirds_.add(Weird::udp_bad_length);
        len = n;
      }
      if (len > n) {
        weirds_.add(Weird::udp_truncated);
        len = n;
      }
      d.payload = p + 8;
      d.payload_len = static_cast<uint32_t>(len - 8);
      if (d.sport == 4789 || d.dport == 4789 || d.sport == 6081 || d.dport == 6081 || d.sport == 3544 ||
          d.dport == 3544) {
        Decoded inner = d;
        if (tunnel_udp(d.payload, d.payload_len, inner)) d = inner;
      }
      return true;
    }
    case proto_tcp: {
      if (n < 20) {
        weirds_.add(Weird::tcp_truncated);
        return true;
      }
      d.sport = be16(p);
      d.dport = be16(p + 2);
      d.tcp_seq = be32(p + 4);
      size_t off = size_t(p[12] >> 4) * 4;
      d.tcp_flags = p[13];
      if (off < 20 || off > n) {
        weirds_.add(Weird::tcp_bad_offset);
        return true;
      }
      d.payload = p + off;
      d.payload_len = static_cast<uint32_t>(n - off);
      return true;
    }
    case proto_icmp:
    case proto_icmp6:
      if (n < 4) {
        weirds_.add(Weird::icmp_truncated);
        return true;
      }
      d.icmp_type = p[0];
      d.icmp_code = p[1];
      d.payload = p + 4;
      d.payload_len = static_cast<uint32_t>(n - 4);
      return true;
    case 4:
    case 41: {  // IP in IP
      if (++d.tunnel_depth > options_.max_tunnel_depth) {
        weirds_.add(Weird::tunnel_depth);
        return true;
      }
      Decoded inner = d;
      if (proto == 4 ? ipv4(p, n, inner) : ipv6(p, n, inner)) d = inner;
      return true;
    }
    case 47: {  // GRE version 0
      if (n < 4 || (p[1] & 7) != 0) return true;
      if (++d.tunnel_depth > options_.max_tunnel_depth) {
        weirds_.add(Weird::tunnel_depth);
        return true;
      }
      size_t hl = 4 + ((p[0] & 0x80) ? 4 : 0) + ((p[0] & 0x20) ? 4 : 0) + ((p[0] & 0x10) ? 4 : 0);
      if (hl > n) {
        weirds_.add(Weird::tunnel_truncated);
        return true;
      }
      Decoded inner = d;
      if (by_ethertype(be16(p + 2), p + hl, n - hl, inner) && inner.has_ip) d = inner;
      return true;
    }
    default:
      d.payload = p;
      d.payload_len = static_cast<uint32_t>(n);
      return true;
  }
}

bool Decoder::tunnel_udp(const uint8_t* p, size_t n, Decoded& d) {
  if (++d.tunnel_depth > options_.max_tunnel_depth) {
    weirds_.add(Weird::tunnel_depth);
    return false;
  }
  bool vx = d.sport == 4789 || d.dport == 4789, gen = d.sport == 6081 || d.dport == 6081;
  if (vx) {
    if (n < 8 + 14 || !(p[0] & 0x08)) return false;
    return ether(p + 8, n - 8, d, false) && d.has_ip;
  }
  if (gen) {
    if (n < 8) return false;
    size_t hl = 8 + size_t(p[0] & 0x3f) * 4;
    if (hl > n) {
      weirds_.add(Weird::tunnel_truncated);
      return false;
    }
    return by_ethertype(be16(p + 2), p + hl, n - hl, d) && d.has_ip;
  }
  // Teredo: optional authentication and origin indication, then IPv6.
  size_t at = 0;
  if (n >= 4 && p[0] == 0 && p[1] == 1) {
    if (n < 13) return false;
    at = 4 + p[2] + p[3] + 9;
  }
  if (at + 8 <= n && p[at] == 0 && p[at + 1] == 0) at += 8;
  if (at + 40 > n || (p[at] >> 4) != 6) return false;
  size_t plen = be16(p + at + 4);
  if (at + 40 + plen != n) return false;  // heuristic, as tshark's: lengths must agree
  return ipv6(p + at, n - at, d);
}

bool Decoder::add_fragment(const FragKey& key, uint32_t offset, const uint8_t* p, size_t n, bool more, int64_t ts) {
  if (offset + n > options_.max_datagram) {
    weirds_.add(Weird::ip_fragment_too_large);
    frags_.erase(key);
    return false;
  }
  auto it = frags_.find(key);
  if (it == frags_.end()) {
    if (frags_.size() >= options_.max_fragment_sets) {
      weirds_.add(Weird::ip_fragment_table_full);
      // Drop the oldest pending datagram to make room.
      while (!frag_order_.empty() && frags_.size() >= options_.max_fragment_sets) {
        frags_.erase(frag_order_.front().second);
        frag_order_.pop_front();
      }
    }
    it = frags_.emplace(key, FragSet{}).first;
    it->second.first_ns = ts;
    frag_order_.emplace_back(ts, key);
  }
  FragSet& s = it->second;
  uint32_t end = offset + static_cast<uint32_t>(n);
  for (auto& r : s.have)
    if (offset < r.second && end > r.first && !(offset == r.first && end == r.second)) {
      weirds_.add(Weird::ip_fragment_overlap);  // first copy wins
      break;
    }
  if (s.data.size() < end) s.data.resize(end);
  std::memcpy(s.data.data() + offset, p, n);
  s.have.emplace_back(offset, end);
  if (!more) s.total = end;
  if (!s.total) return false;
  std::sort(s.have.begin(), s.have.end());
  uint32_t covered = 0;
  for (auto& r : s.have) {
    if (r.first > covered) return false;
    covered = std::max(covered, r.second);
  }
  if (covered < s.total) return false;
  current_ ^= 1;
  buffers_[current_].assign(s.data.begin(), s.data.begin() + s.total);
  frags_.erase(it);
  return true;
}

void Decoder::expire_fragments(int64_t now) {
  while (!frag_order_.empty() && now - frag_order_.front().first > options_.fragment_timeout_ns) {
    auto it = frags_.find(frag_order_.front().second);
    if (it != frags_.end() && it->second.first_ns == frag_order_.front().first) {
      weirds_.add(Weird::ip_fragment_timeout);
      frags_.erase(it);
    }
    frag_order_.pop_front();
  }
  if (frag_order_.size() > options_.max_fragment_sets * 4) {  // stale keys of completed sets
    std::deque<std::pair<int64_t, FragKey>> keep;
    for (auto& e : frag_order_)
      if (frags_.count(e.second)) keep.push_back(e);
    frag_order_.swap(keep);
  }
}

}  // namespace opskit::net
