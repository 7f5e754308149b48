// The device inventory: each source MAC gets the internal addresses it sent
// from (up to the cap), however its packets interleave with other sources'
// (the inventory skips an address it saw last from the same source).
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "net/devices.hpp"

using namespace opskit::net;

namespace {
Decoded from(uint8_t mac_tail, const IpAddr& src, int64_t ts) {
  Decoded d;
  d.ts_ns = ts;
  d.has_mac = true;
  const uint8_t mac[6] = {0x02, 0, 0, 0, 0, mac_tail};
  std::memcpy(d.mac_src, mac, 6);
  d.has_ip = true;
  d.src = src;
  d.dst.version = 4;
  d.proto = proto_udp;
  return d;
}
}  // namespace

TEST_CASE("devices: every source keeps the internal addresses it sent, whatever the interleaving", "[net][devices]") {
  // Internal and external addresses, shared by all sources, so an address
  // skipped for one source must still be taken for the next.
  std::vector<IpAddr> pool;
  for (const char* text : {"10.0.0.1", "10.0.0.2", "192.168.1.7", "8.8.8.8", "fd00::1", "2001:db8::1", "172.16.0.9"}) {
    IpAddr ip;
    REQUIRE(IpAddr::parse(text, ip));
    pool.push_back(ip);
  }
  const size_t cap = 3;
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    DeviceInventory inventory(64, cap);
    Weirds weirds;
    std::map<std::string, std::set<std::string>> expected;
    // Mostly two sources taking turns (the common case), sometimes a third
    // or fourth, and runs from one source.
    uint8_t a = 1, b = 2;
    for (int i = 0; i < 400; ++i) {
      uint8_t mac = rng() % 8 == 0 ? static_cast<uint8_t>(3 + rng() % 2) : (i % 2 ? a : b);
      if (rng() % 16 == 0) std::swap(a, b);
      const IpAddr& ip = pool[rng() % pool.size()];
      inventory.packet(from(mac, ip, i), weirds);
      const uint8_t bytes[6] = {0x02, 0, 0, 0, 0, mac};
      std::set<std::string>& ips = expected[mac_string(bytes)];
      if (ip.is_internal() && ips.size() < cap) ips.insert(ip.str());
    }
    std::vector<Device> devices = inventory.devices(nullptr);
    REQUIRE(devices.size() == expected.size());
    for (const Device& d : devices) CHECK(d.ips == expected[d.mac]);
  }
}

TEST_CASE("devices: first and last seen are the earliest and latest packet, when capture time runs backwards too", "[net][devices]") {
  // Merged captures and clock steps put earlier packets after later ones,
  // often from the source of the packet just before.
  IpAddr ip;
  REQUIRE(IpAddr::parse("10.0.0.1", ip));
  std::mt19937 rng(11);
  for (int round = 0; round < 50; ++round) {
    DeviceInventory inventory(64, 4);
    Weirds weirds;
    std::map<std::string, std::pair<int64_t, int64_t>> expected;  // mac -> first, last
    for (int i = 0; i < 300; ++i) {
      uint8_t mac = static_cast<uint8_t>(1 + (rng() % 4 == 0 ? rng() % 3 : i / 20 % 3));  // runs from one source
      int64_t ts = 1000 + i * 10 - static_cast<int64_t>(rng() % 400);
      inventory.packet(from(mac, ip, ts), weirds);
      const uint8_t bytes[6] = {0x02, 0, 0, 0, 0, mac};
      auto [it, fresh] = expected.try_emplace(mac_string(bytes), ts, ts);
      it->second.first = std::min(it->second.first, ts);
      it->second.second = std::max(it->second.second, ts);
    }
    std::vector<Device> devices = inventory.devices(nullptr);
    REQUIRE(devices.size() == expected.size());
    for (const Device& d : devices) {
      INFO(d.mac);
      CHECK(d.first_ns == expected[d.mac].first);
      CHECK(d.last_ns == expected[d.mac].second);
    }
  }
}
