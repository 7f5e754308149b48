// The flow table and the map under it: entries stay dense (an erase moves the
// last entry into the hole and its index slot follows), the index grows
// past many rebuilds without losing an entry, and flows are reported in
// first-seen order with ties broken by the 5-tuple, whatever the hash order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "net/flat_map.hpp"
#include "net/flows.hpp"

using namespace opskit::net;

namespace {
struct Mix {
  size_t operator()(uint64_t k) const { return static_cast<size_t>(mix64(k)); }
};

IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr ip;
  ip.version = 4;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

Decoded packet(int64_t ts, IpAddr src, uint16_t sport, IpAddr dst, uint16_t dport, uint8_t flags) {
  Decoded d;
  d.ts_ns = ts;
  d.has_ip = true;
  d.src = src;
  d.dst = dst;
  d.sport = sport;
  d.dport = dport;
  d.proto = proto_tcp;
  d.tcp_flags = flags;
  d.ip_len = 40;
  return d;
}

// Addresses as numbers (network order), so the tuple sorts as the table must.
uint32_t number(const IpAddr& ip) {
  return uint32_t(ip.bytes[0]) << 24 | uint32_t(ip.bytes[1]) << 16 | uint32_t(ip.bytes[2]) << 8 | ip.bytes[3];
}
using Tuple = std::tuple<int64_t, uint32_t, uint32_t, uint16_t, uint16_t>;
Tuple tuple_of(const Flow& f) {
  return {f.first_ns, number(f.orig), number(f.resp), f.orig_port, f.resp_port};
}
}  // namespace

TEST_CASE("flat map: nothing is allocated before the first insert, and an empty map answers every call", "[net][flat_map]") {
  FlatMap<uint64_t, int, Mix> m;
  REQUIRE(m.empty());
  REQUIRE(m.find(1) == nullptr);
  REQUIRE_FALSE(m.erase(1));
  m.prefetch_hash(Mix{}(1));
  size_t n = 0;
  m.for_each([&](uint64_t, int) { ++n; });
  REQUIRE(n == 0);
  m.reserve(100000);  // reserves; inserts then never move the entries
  m[5] = 1;
  const int* at = m.find(5);
  for (uint64_t k = 6; k < 50000; ++k) m[k] = 2;
  REQUIRE(m.find(5) == at);
  REQUIRE(*at == 1);
  m.clear();
  REQUIRE(m.empty());
  REQUIRE(m.find(5) == nullptr);
  m[5] = 3;
  REQUIRE(*m.find(5) == 3);
}

TEST_CASE("flat map: copies are independent (values that hold maps)", "[net][flat_map]") {
  FlatMap<uint64_t, FlatMap<uint64_t, char, Mix>, Mix> outer;
  for (uint64_t k = 0; k < 100; ++k)
    for (uint64_t j = 0; j <= k; ++j) outer[k][j] = 1;
  auto copy = outer;
  outer.erase(50);
  REQUIRE(copy.find(50) != nullptr);
  REQUIRE(copy.find(50)->size() == 51);
  REQUIRE(outer.find(50) == nullptr);
  REQUIRE(outer.find(99)->size() == 100);
}

TEST_CASE("flow table: flows are reported in first-seen order, ties by the 5-tuple, each once", "[net][flows]") {
  std::vector<Flow> reported;
  FlowTable table(FlowOptions{}, [&](const Flow& f) { reported.push_back(f); });
  std::mt19937_64 rng(11);
  std::vector<Decoded> packets;
  // Many flows starting in the same nanosecond (as a SYN flood does), then replies.
  for (int i = 0; i < 3000; ++i) {
    int64_t ts = 1'000'000'000 + static_cast<int64_t>(rng() % 5) * 1000;
    IpAddr src = v4(10, static_cast<uint8_t>(rng() % 4), static_cast<uint8_t>(rng() % 256), 1);
    packets.push_back(packet(ts, src, static_cast<uint16_t>(1024 + rng() % 50), v4(192, 0, 2, 1), 80, tcp_flag::syn));
  }
  std::stable_sort(packets.begin(), packets.end(), [](const Decoded& a, const Decoded& b) { return a.ts_ns < b.ts_ns; });
  size_t n = packets.size();
  for (size_t i = 0; i < n; i += 3) {
    Decoded reply = packets[i];
    std::swap(reply.src, reply.dst);
    std::swap(reply.sport, reply.dport);
    reply.ts_ns = 2'000'000'000;
    reply.tcp_flags = tcp_flag::syn | tcp_flag::ack;
    packets.push_back(reply);
  }
  bool from_orig;
  for (const Decoded& d : packets) table.add(d, from_orig);
  table.flush();
  REQUIRE(table.size() == 0);
  std::set<Tuple> distinct;
  for (const Flow& f : reported) REQUIRE(distinct.insert(tuple_of(f)).second);
  for (size_t i = 1; i < reported.size(); ++i) REQUIRE(tuple_of(reported[i - 1]) < tuple_of(reported[i]));
  uint64_t pkts = 0;
  for (const Flow& f : reported) pkts += f.orig_pkts + f.resp_pkts;
  REQUIRE(pkts == packets.size());
}

TEST_CASE("flow table: at the cap the least recently seen quarter goes, in first-seen order, and is counted", "[net][flows]") {
  std::vector<Flow> reported;
  FlowOptions o;
  o.max_flows = 64;
  FlowTable table(o, [&](const Flow& f) { reported.push_back(f); });
  bool from_orig;
  for (int i = 0; i < 64; ++i)
    table.add(packet(1'000'000'000 + i, v4(10, 0, 0, static_cast<uint8_t>(i)), 1000, v4(192, 0, 2, 1), 80, tcp_flag::syn),
              from_orig);
  // Flows 0..15 are seen again last: the quarter evicted is 16..31, oldest first.
  for (int i = 0; i < 16; ++i)
    table.add(packet(2'000'000'000 + i, v4(10, 0, 0, static_cast<uint8_t>(i)), 1000, v4(192, 0, 2, 1), 80, tcp_flag::ack),
              from_orig);
  REQUIRE(reported.empty());
  table.add(packet(3'000'000'000, v4(10, 0, 1, 0), 1000, v4(192, 0, 2, 1), 80, tcp_flag::syn), from_orig);
  REQUIRE(table.evicted() == 17);  // the cut is taken inclusively: 16..32
  REQUIRE(reported.size() == 17);
  for (size_t i = 0; i < reported.size(); ++i) REQUIRE(reported[i].orig == v4(10, 0, 0, static_cast<uint8_t>(16 + i)));
  REQUIRE(table.size() == 64 - 17 + 1);
}

TEST_CASE("addresses order as their bytes do (memcmp), IPv4 before IPv6", "[net][flows]") {
  std::mt19937_64 rng(5);
  std::vector<IpAddr> ips;
  for (int i = 0; i < 400; ++i) {
    IpAddr ip;
    ip.version = i % 3 == 0 ? 6 : 4;
    int n = ip.version == 4 ? 4 : 16;
    for (int j = 0; j < n; ++j) ip.bytes[j] = static_cast<uint8_t>(rng() % 4 * 60);  // few values: many shared prefixes
    ips.push_back(ip);
  }
  for (const IpAddr& a : ips)
    for (const IpAddr& b : ips) {
      bool expect = a.version != b.version ? a.version < b.version
                                           : std::memcmp(a.bytes, b.bytes, a.version == 4 ? 4 : 16) < 0;
      REQUIRE((a < b) == expect);
    }
}

TEST_CASE("flow table: the look-ahead hook sees each reported flow once, before it is reported", "[net][flows]") {
  // Reported flows' addresses, and when each was announced (in reports so far).
  std::vector<Tuple> reported;
  std::map<Tuple, size_t> announced_at;
  FlowOptions o;
  o.max_flows = 64;
  o.udp_timeout_ns = 1'000'000'000;
  FlowTable table(
      o, [&](const Flow& f) { reported.push_back(tuple_of(f)); },
      [&](const Flow& f) { REQUIRE(announced_at.emplace(tuple_of(f), reported.size()).second); });
  bool from_orig;
  // 100 TCP flows: the cap evicts some; then UDP flows that expire; then the flush.
  for (int i = 0; i < 100; ++i)
    table.add(packet(1'000'000'000 + i, v4(10, 0, 1, static_cast<uint8_t>(i)), 1000, v4(192, 0, 2, 1), 80, tcp_flag::syn),
              from_orig);
  for (int i = 0; i < 40; ++i) {
    Decoded d = packet(2'000'000'000 + i, v4(10, 0, 2, static_cast<uint8_t>(i)), 2000, v4(192, 0, 2, 2), 53, 0);
    d.proto = proto_udp;
    table.add(d, from_orig);
  }
  table.expire(10'000'000'000);
  table.flush();
  REQUIRE(reported.size() == 140);
  // A flow is announced before it is reported, at most 8 reports earlier;
  // the last few of each batch are reported unannounced.
  size_t announced = 0;
  for (size_t i = 0; i < reported.size(); ++i) {
    auto it = announced_at.find(reported[i]);
    if (it == announced_at.end()) continue;
    ++announced;
    REQUIRE(it->second < i);
    REQUIRE(i - it->second <= 8);
  }
  REQUIRE(announced == announced_at.size());
  REQUIRE(announced >= reported.size() / 2);  // batches here hold 16 flows or more
}
