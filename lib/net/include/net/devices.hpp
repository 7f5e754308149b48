#pragma once
// Device inventory: one entry per MAC address seen as a source, with the
// internal IPs it used, hostnames learnt from DHCP (option 12), mDNS
// answers and ARP, the vendor from the IEEE OUI registry (Debian's
// ieee-data, when installed), and first/last seen.
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/decode.hpp"
#include "net/dns.hpp"
#include "net/flat_map.hpp"

namespace opskit::net {

struct Device {
  std::string mac;  // "aa:bb:cc:dd:ee:ff"
  std::set<std::string> ips, hostnames;
  std::string vendor;
  int64_t first_ns = 0, last_ns = 0;
};

std::string mac_string(const uint8_t* mac);

// OUI prefix ("AABBCC") -> organisation, read from oui.txt.
class OuiRegistry {
 public:
  static std::string default_path() { return "/usr/share/ieee-data/oui.txt"; }
  // Loads only the prefixes in `wanted` (upper-case hex, 6 digits); a missing file leaves it empty.
  void load(const std::string& path, const std::set<std::string>& wanted);
  std::string vendor(const std::string& mac) const;

 private:
  std::map<std::string, std::string> vendors_;
};

class DeviceInventory {
 public:
  explicit DeviceInventory(size_t max_devices = 65536, size_t max_ips_per_device = 32)
      : max_devices_(max_devices), max_ips_(max_ips_per_device) {}
  void packet(const Decoded& d, Weirds& weirds);
  // mDNS answers name the sender; called with the Ethernet source of the message.
  void mdns(const uint8_t* mac, int64_t ts_ns, const DnsMessage& m);
  // Devices sorted by MAC, with vendors filled from the registry.
  std::vector<Device> devices(const OuiRegistry* oui) const;
  std::set<std::string> oui_prefixes() const;
  size_t size() const { return devices_.size(); }

 private:
  struct Entry {
    Device dev;
    std::vector<IpAddr> ips;  // the packet addresses in dev.ips, tested without formatting them
  };
  Entry* touch(const uint8_t* mac, int64_t ts);
  // Widens e's first/last seen to take in ts (capture time can run
  // backwards, so either end may move); returns e.
  static Entry* seen_at(Entry* e, int64_t ts);
  // The entry of a source neither of recent_ holds, made if new (nullptr
  // when the table is full): out of line, so touch() does not pay for the
  // stack frame a new entry needs on every packet.
  Entry* find_or_add(uint64_t key, const uint8_t* mac, int64_t ts);
  void dhcp(const Decoded& d, Weirds& weirds);
  size_t max_devices_, max_ips_;
  struct MacHash {  // keyed (flat_map.hpp): source MACs can be forged
    size_t operator()(uint64_t mac) const { return static_cast<size_t>(mix64(mac ^ process_hash_key.w[5])); }
  };
  std::unordered_map<uint64_t, Entry, MacHash> devices_;  // nodes: pointers to them stay valid
  // The last two sources seen (conversations alternate between two), each
  // with the packet address it had last: a source's next packet mostly has
  // the same, and that address has been looked at already.
  struct Recent {
    uint64_t mac = ~0ull;
    Entry* entry = nullptr;
    IpAddr ip;  // version 0: none yet
  };
  // touch() leaves the source it was given in recent_[last_]. A switch
  // between the two flips the number instead of swapping them: the address
  // compare right after would otherwise read bytes still on their way from
  // the swap's stores, which a load spanning two of them waits for.
  Recent recent_[2];
  int last_ = 0;
};

}  // namespace opskit::net
