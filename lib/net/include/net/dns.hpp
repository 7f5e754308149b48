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

struct DnsMessage {
  uint16_t id = 0;
  bool response = false;
  uint8_t opcode = 0;
  bool aa = false, tc = false, rd = false, ra = false, ad = false, cd = false, z = false;
  uint8_t rcode = 0;  // with the EDNS extended bits when an OPT record is present
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  std::string qname;  // first question (presentation form, no trailing dot; "<Root>" as "")
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
  // false: the text nobody reads is not made (the question list, record
  // names and RDATA text stay empty; qname and every record's type, class,
  // TTL and length are still there). RDATA is checked all the same, so the
  // anomalies counted are the same.
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

// "A", "AAAA", "TXT", ... or "TYPE65280" for unknown numbers.
std::string dns_type_name(uint16_t type);
std::string dns_rcode_name(uint8_t rcode);

// The well-known services on which a payload is DNS.
inline bool is_dns_port(uint16_t port) { return port == 53 || port == 5353 || port == 5355; }

}  // namespace opskit::net
