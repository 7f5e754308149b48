// Finding DNS messages in UDP datagrams and TCP byte streams.
#include "net/dns_stream.hpp"

#include "net/flat_map.hpp"  // hash_ip

namespace opskit::net {

const char* dns_service_name(DnsService s) {
  switch (s) {
    case DnsService::mdns: return "mdns";
    case DnsService::llmnr: return "llmnr";
    default: return "dns";
  }
}

size_t DnsStreams::KeyHash::operator()(const Key& k) const {
  return static_cast<size_t>(hash_ip(k.dst, hash_ip(k.src, uint64_t(k.sport) << 16 | k.dport)));
}

DnsStreams::Streams::iterator DnsStreams::open(const Key& key) {
  while (streams_.size() >= max_streams_ && !opened_.empty()) {
    auto it = streams_.find(opened_.front().second);
    if (it != streams_.end() && it->second.serial == opened_.front().first) streams_.erase(it);
    opened_.pop_front();
  }
  if (opened_.size() > max_streams_ * 4) {  // entries of streams closed since
    std::deque<std::pair<uint64_t, Key>> keep;
    for (auto& e : opened_) {
      auto it = streams_.find(e.second);
      if (it != streams_.end() && it->second.serial == e.first) keep.push_back(e);
    }
    opened_.swap(keep);
  }
  auto it = streams_.emplace(key, Stream{}).first;
  it->second.serial = ++serial_;
  opened_.emplace_back(serial_, key);
  return it;
}

void DnsStreams::emit(const Decoded& d, const uint8_t* p, size_t n, uint8_t proto, Weirds& weirds) {
  uint16_t port = is_dns_port(d.dport) ? d.dport : d.sport;
  DnsService service = port == 5353 ? DnsService::mdns : port == 5355 ? DnsService::llmnr : DnsService::dns;
  DnsLimits limits;
  limits.render = render_ || service == DnsService::mdns;
  if (!parse_dns(p, n, msg_, weirds, limits)) {
    weirds.add(Weird::dns_not_dns);
    return;
  }
  DnsPacketInfo info;
  info.ts_ns = d.ts_ns;
  info.src = d.src;
  info.dst = d.dst;
  info.sport = d.sport;
  info.dport = d.dport;
  info.proto = proto;
  info.size = static_cast<uint32_t>(n);
  info.service = service;
  info.has_mac = d.has_mac;
  std::memcpy(info.mac_src, d.mac_src, 6);
  ++messages_;
  cb_(info, msg_);
}

void DnsStreams::packet(const Decoded& d, Weirds& weirds) {
  if (!d.has_ip || !d.payload) return;
  if (!is_dns_port(d.sport) && !is_dns_port(d.dport)) return;
  if (d.proto == proto_udp) {
    if (d.payload_len) emit(d, d.payload, d.payload_len, proto_udp, weirds);
    return;
  }
  if (d.proto == proto_tcp && (d.sport == 53 || d.dport == 53 || d.sport == 5355 || d.dport == 5355)) tcp(d, weirds);
}

void DnsStreams::tcp(const Decoded& d, Weirds& weirds) {
  Key key{d.src, d.dst, d.sport, d.dport};
  bool closing = d.tcp_flags & (tcp_flag::fin | tcp_flag::rst);
  auto it = streams_.find(key);
  if (d.payload_len == 0) {
    if (d.tcp_flags & tcp_flag::syn) {
      if (it == streams_.end()) it = open(key);
      it->second.next_seq = d.tcp_seq + 1;
      it->second.synced = true;
      it->second.buffer.clear();
    } else if (closing && it != streams_.end()) {
      streams_.erase(it);
    }
    return;
  }
  if (it == streams_.end()) it = open(key);
  Stream& s = it->second;
  const uint8_t* p = d.payload;
  size_t n = d.payload_len;
  if (!s.synced) {  // mid-stream pickup: take this segment as the start
    s.synced = true;
    s.next_seq = d.tcp_seq;
  }
  int32_t diff = static_cast<int32_t>(d.tcp_seq - s.next_seq);
  if (diff < 0) {  // retransmission, possibly with new bytes at the end
    if (static_cast<int64_t>(n) + diff <= 0) return;
    p += -diff;
    n -= static_cast<size_t>(-diff);
  } else if (diff > 0) {  // a hole: resynchronise on this segment
    weirds.add(Weird::dns_tcp_gap);
    s.buffer.clear();
  }
  s.next_seq = d.tcp_seq + d.payload_len;
  s.buffer.append(reinterpret_cast<const char*>(p), n);
  size_t at = 0;
  while (s.buffer.size() - at >= 2) {
    size_t len = size_t(static_cast<uint8_t>(s.buffer[at])) << 8 | static_cast<uint8_t>(s.buffer[at + 1]);
    if (s.buffer.size() - at - 2 < len) break;
    if (len) emit(d, reinterpret_cast<const uint8_t*>(s.buffer.data() + at + 2), len, proto_tcp, weirds);
    at += 2 + len;
  }
  s.buffer.erase(0, at);
  if (s.buffer.size() > 65537 + 65536) {
    weirds.add(Weird::dns_tcp_oversized);
    s.buffer.clear();
  }
  if (closing) streams_.erase(key);
}

}  // namespace opskit::net
