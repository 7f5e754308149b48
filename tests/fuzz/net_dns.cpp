// Fuzz target: the DNS message parser on arbitrary bytes.
#include <cstddef>
#include <cstdint>

#include "net/dns.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  opskit::net::Weirds w;
  opskit::net::DnsMessage m;
  opskit::net::parse_dns(data, size, m, w);
  return 0;
}
