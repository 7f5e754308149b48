// Device inventory from Ethernet sources, ARP, DHCP and mDNS.
#include "net/devices.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <utility>

namespace opskit::net {

std::string mac_string(const uint8_t* m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

void OuiRegistry::load(const std::string& path, const std::set<std::string>& wanted) {
  std::ifstream in(path);
  if (!in) return;
  std::string line;
  while (std::getline(in, line)) {
    // "AC-DE-48   (hex)\t\tPrivate"
    if (line.size() < 20 || line[2] != '-' || line[5] != '-' || line.find("(hex)") == std::string::npos) continue;
    std::string prefix = line.substr(0, 2) + line.substr(3, 2) + line.substr(6, 2);
    if (!wanted.count(prefix)) continue;
    size_t at = line.find("(hex)") + 5;
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
    std::string name = line.substr(at);
    while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.pop_back();
    vendors_[prefix] = name;
  }
}

std::string OuiRegistry::vendor(const std::string& mac) const {
  if (mac.size() < 8) return {};
  std::string prefix;
  for (char c : mac.substr(0, 8))
    if (c != ':') prefix.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  auto it = vendors_.find(prefix);
  return it == vendors_.end() ? std::string() : it->second;
}

DeviceInventory::Entry* DeviceInventory::seen_at(Entry* e, int64_t ts) {
  if (ts > e->dev.last_ns) e->dev.last_ns = ts;
  if (ts < e->dev.first_ns) e->dev.first_ns = ts;
  return e;
}

DeviceInventory::Entry* DeviceInventory::touch(const uint8_t* mac, int64_t ts) {
  if (mac[0] & 1) return nullptr;  // multicast / broadcast sources are not devices
  // Built in registers: an 8-byte load of a key written as 4 + 2 bytes
  // over zero would wait for the stores to reach the cache.
  uint32_t lo;
  uint16_t hi;
  std::memcpy(&lo, mac, 4);
  std::memcpy(&hi, mac + 4, 2);
  uint64_t key = lo | uint64_t(hi) << 32;  // as the 6 bytes copied into a zeroed word (little-endian)
  if (key == 0) return nullptr;
  if (key == recent_[last_].mac && recent_[last_].entry) return seen_at(recent_[last_].entry, ts);
  const int other = last_ ^ 1;  // becomes the last one, the last one the other
  if (key != recent_[other].mac || !recent_[other].entry) {
    Entry* found = find_or_add(key, mac, ts);
    if (!found) return nullptr;
    recent_[other] = Recent{key, found, IpAddr{}};
  }
  last_ = other;
  return seen_at(recent_[last_].entry, ts);
}

[[gnu::noinline]] DeviceInventory::Entry* DeviceInventory::find_or_add(uint64_t key, const uint8_t* mac, int64_t ts) {
  auto it = devices_.find(key);
  if (it == devices_.end()) {
    if (devices_.size() >= max_devices_) return nullptr;
    Entry fresh;
    fresh.dev.mac = mac_string(mac);
    fresh.dev.first_ns = fresh.dev.last_ns = ts;
    it = devices_.emplace(key, std::move(fresh)).first;
  }
  return &it->second;
}

void DeviceInventory::packet(const Decoded& d, Weirds& weirds) {
  if (!d.has_mac) return;
  Entry* e = touch(d.mac_src, d.ts_ns);
  if (!e) return;
  Device* dev = &e->dev;
  const IpAddr* ip = d.is_arp ? &d.arp_sender_ip : (d.has_ip && d.tunnel_depth == 0 ? &d.src : nullptr);
  // Only internal addresses belong to a device: a router's MAC carries the whole Internet.
  // The address this source's previous packet had: nothing new.
  if (ip) {
    IpAddr& seen = recent_[last_].ip;
    if (*ip == seen) ip = nullptr;
    else seen = *ip;
  }
  if (ip && ip->is_internal() && dev->ips.size() < max_ips_ &&
      std::find(e->ips.begin(), e->ips.end(), *ip) == e->ips.end()) {
    static const uint8_t zero[16] = {0};
    if (std::memcmp(ip->bytes, zero, 16) != 0 && !(ip->version == 4 && ip->bytes[0] >= 224) &&
        !(ip->version == 6 && ip->bytes[0] == 0xff)) {
      e->ips.push_back(*ip);
      dev->ips.insert(ip->str());
    }
  }
  if (d.has_ip && d.proto == proto_udp && (d.sport == 68 || d.dport == 67) && d.payload) dhcp(d, weirds);
}

void DeviceInventory::dhcp(const Decoded& d, Weirds& weirds) {
  const uint8_t* p = d.payload;
  size_t n = d.payload_len;
  if (n < 240 || p[0] != 1 || p[1] != 1 || p[2] != 6) return;  // BOOTREQUEST over Ethernet
  if (!(p[236] == 99 && p[237] == 130 && p[238] == 83 && p[239] == 99)) {
    weirds.add(Weird::dhcp_malformed);
    return;
  }
  Entry* e = touch(p + 28, d.ts_ns);  // chaddr: the client, even when relayed
  if (!e) return;
  Device* dev = &e->dev;
  size_t at = 240;
  while (at < n) {
    uint8_t code = p[at];
    if (code == 255) break;
    if (code == 0) {
      ++at;
      continue;
    }
    if (at + 2 > n || at + 2 + p[at + 1] > n) {
      weirds.add(Weird::dhcp_malformed);
      return;
    }
    uint8_t len = p[at + 1];
    const uint8_t* v = p + at + 2;
    if (code == 12 && len > 0) {
      std::string host;
      for (uint8_t i = 0; i < len; ++i)
        if (v[i] >= 0x20 && v[i] < 0x7f) host.push_back(static_cast<char>(v[i]));
      if (!host.empty() && dev->hostnames.size() < 16) dev->hostnames.insert(host);
    } else if (code == 50 && len == 4) {
      IpAddr ip;
      ip.version = 4;
      std::memcpy(ip.bytes, v, 4);
      if (dev->ips.size() < max_ips_) dev->ips.insert(ip.str());
    }
    at += 2 + len;
  }
}

void DeviceInventory::mdns(const uint8_t* mac, int64_t ts, const DnsMessage& m) {
  if (!m.response) return;
  Entry* e = touch(mac, ts);
  if (!e) return;
  Device* dev = &e->dev;
  for (const auto& rr : m.answers)
    if ((rr.type == 1 || rr.type == 28) && rr.name.size() > 6 && rr.name.compare(rr.name.size() - 6, 6, ".local") == 0 &&
        dev->hostnames.size() < 16)
      dev->hostnames.insert(rr.name);
}

std::set<std::string> DeviceInventory::oui_prefixes() const {
  std::set<std::string> out;
  for (auto& [k, e] : devices_) {
    const Device& d = e.dev;
    std::string p;
    for (char c : d.mac.substr(0, 8))
      if (c != ':') p.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    out.insert(p);
  }
  return out;
}

std::vector<Device> DeviceInventory::devices(const OuiRegistry* oui) const {
  std::vector<Device> out;
  for (auto& [k, e] : devices_) {
    const Device& d = e.dev;
    out.push_back(d);
    if (oui) out.back().vendor = oui->vendor(d.mac);
  }
  std::sort(out.begin(), out.end(), [](const Device& a, const Device& b) { return a.mac < b.mac; });
  return out;
}

}  // namespace opskit::net
