#pragma once
// DNS message parsing (RFC 1035 and friends), safe on hostile input: name
// compression pointers must point strictly backwards (no loops), names stop
// at 255 bytes and 128 labels, record counts are bounded by the bytes that
// remain, and every RR is kept by type number and name. Anomalies are
// counted, never thrown.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/packet.hpp"

namespace opskit::net {

struct DnsRecord {
  std::string name;
  uint16_t type = 0;
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  uint16_t rdlength = 0;
  std::string data;  // presentation form: address, name, quoted text, or hex for unknown types
};

// A name as it travels, compression followed: each label's length byte and
// bytes, without the final root byte (so the root is empty), and a hash of
// those bytes. Two names are the same text exactly when they are the same
// wire bytes (the text escapes every byte that could blur a label
// boundary), so per-name state can be keyed by this form and reached
// without making any text.
struct DnsWireName {
  static constexpr size_t kMax = 254;  // 255 with the root byte
  uint8_t len = 0;
  uint8_t bytes[kMax];
  uint64_t hash = 0;
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes), len}; }
};

struct DnsMessage {
  uint16_t id = 0;
  bool response = false;
  uint8_t opcode = 0;
  bool aa = false, tc = false, rd = false, ra = false, ad = false, cd = false, z = false;
  uint8_t rcode = 0;  // with the EDNS extended bits when an OPT record is present
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  std::string qname;  // first question (presentation form, no trailing dot; "<Root>" as ""); empty without render
  DnsWireName qname_wire;  // the same name in wire form, always (empty when there is no readable question)
  uint16_t qtype = 0, qclass = 0;
  std::vector<std::pair<std::string, uint16_t>> questions;  // every readable question: name, type
  bool unicast_response = false;  // mDNS QU bit
  std::vector<DnsRecord> answers, authority, additional;
  // EDNS0
  bool edns = false;
  uint16_t edns_udp_size = 0;
  uint8_t edns_version = 0;
  bool edns_do = false;
  std::string client_subnet;  // "192.0.2.0/24" from option 8
  bool complete = true;       // all sections parsed
};

struct DnsLimits {
  size_t max_records = 512;  // per message, across sections
  // false: the text nobody reads is not made (qname, the question list,
  // record names and RDATA text stay empty; qname_wire and every record's
  // type, class, TTL and length are still there). Names and RDATA are
  // checked all the same, so the anomalies counted are the same.
  bool render = true;
};

// Parses one message. Returns false when it is not a DNS message at all
// (shorter than the 12-byte header); a message whose sections are damaged
// (even the question) is returned with complete=false and the damage
// counted in `weirds`, as tshark still shows such a message.
bool parse_dns(const uint8_t* data, size_t size, DnsMessage& out, Weirds& weirds, const DnsLimits& limits = {});

// Reads a (possibly compressed) name starting at `offset`. On success sets
// `next` to the offset after the name in the original position. Names are
// rendered with '.' separators; bytes outside [A-Za-z0-9-_*] and '.' inside
// a label are written as \DDD (RFC 1035 escaping).
bool read_dns_name(const uint8_t* data, size_t size, size_t offset, std::string& name, size_t& next, Weirds& weirds);

// The presentation text of a wire-form name (what qname holds for qname_wire).
std::string dns_name_text(const DnsWireName& name);
// The same into a caller's buffer of at least kDnsMaxNameText bytes; returns the length.
constexpr size_t kDnsMaxNameText = 1280;  // 254 wire bytes, each escaped as \DDD, plus dots
size_t render_dns_name(const DnsWireName& name, char* out);
// The hash kept in DnsWireName::hash: on the CPU's AES instructions when it
// has them (best), else with multiplies (portable). The two give different
// values; a hash is only ever compared within one process.
enum class HashEngine { best, portable };
uint64_t dns_wire_hash(const uint8_t* p, size_t n, HashEngine engine = HashEngine::best);

// "A", "AAAA", "TXT", ... or "TYPE65280" for unknown numbers.
std::string dns_type_name(uint16_t type);
std::string dns_rcode_name(uint8_t rcode);

// The well-known services on which a payload is DNS.
inline bool is_dns_port(uint16_t port) { return port == 53 || port == 5353 || port == 5355; }

}  // namespace opskit::net
