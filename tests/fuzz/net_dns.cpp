// Fuzz target: the DNS message parser on arbitrary bytes, with and without
// the record text (the analyzer parses without it when nothing prints it).
#include <cstddef>
#include <cstdint>

#include "net/dns.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  opskit::net::Weirds w, lite_w;
  opskit::net::DnsMessage m, lite_m;
  opskit::net::DnsLimits lite;
  lite.render = false;
  bool ok = opskit::net::parse_dns(data, size, m, w);
  bool lite_ok = opskit::net::parse_dns(data, size, lite_m, lite_w, lite);
  // The same anomalies and the same header either way.
  if (ok != lite_ok || w.by_name() != lite_w.by_name() || m.qname != lite_m.qname ||
      m.answers.size() != lite_m.answers.size())
    __builtin_trap();
  return 0;
}
