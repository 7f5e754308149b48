#pragma once
// DNS messages out of decoded packets: UDP datagrams on the DNS, mDNS and
// LLMNR ports, and DNS over TCP (2-byte length prefix, several messages per
// segment, messages split across segments reassembled per direction, with
// a bounded number of streams and bytes per stream).
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>

#include "net/decode.hpp"
#include "net/dns.hpp"

namespace opskit::net {

enum class DnsService : uint8_t { dns, mdns, llmnr };
const char* dns_service_name(DnsService s);

// One DNS message with where it travelled.
struct DnsPacketInfo {
  int64_t ts_ns = 0;
  IpAddr src, dst;
  uint16_t sport = 0, dport = 0;
  uint8_t proto = 0;  // 6 or 17
  DnsService service = DnsService::dns;
  uint32_t size = 0;  // message bytes
  // Ethernet source, for device inventory (mDNS names)
  bool has_mac = false;
  uint8_t mac_src[6] = {0};
};

class DnsStreams {
 public:
  using Callback = std::function<void(const DnsPacketInfo&, const DnsMessage&)>;
  explicit DnsStreams(Callback cb, size_t max_streams = 4096) : cb_(std::move(cb)), max_streams_(max_streams) {}
  // Looks at one decoded packet; calls back once per DNS message found.
  void packet(const Decoded& d, Weirds& weirds);
  size_t messages() const { return messages_; }
  // Whether messages come with their full text (DnsLimits::render); mDNS
  // always does (the device inventory reads its answer names).
  void set_render(bool on) { render_ = on; }

 private:
  struct Key {
    IpAddr src, dst;
    uint16_t sport, dport;
    bool operator==(const Key& o) const { return sport == o.sport && dport == o.dport && src == o.src && dst == o.dst; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Stream {
    uint32_t next_seq = 0;
    bool synced = false;
    uint64_t serial = 0;  // order of opening, for eviction
    std::string buffer;
  };
  using Streams = std::unordered_map<Key, Stream, KeyHash>;
  void emit(const Decoded& d, const uint8_t* p, size_t n, uint8_t proto, Weirds& weirds);
  void tcp(const Decoded& d, Weirds& weirds);
  Streams::iterator open(const Key& key);

  Callback cb_;
  size_t max_streams_;
  Streams streams_;
  // Streams in the order they were opened (with entries of closed ones,
  // skipped and now and then dropped): when the table is full the oldest
  // goes, whatever the process's hash key put first in the table.
  std::deque<std::pair<uint64_t, Key>> opened_;
  uint64_t serial_ = 0;
  DnsMessage msg_;
  size_t messages_ = 0;
  bool render_ = true;
};

}  // namespace opskit::net
