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
  // The same anomalies, header and question either way; the question's text
  // is its wire form rendered.
  if (ok != lite_ok || w.by_name() != lite_w.by_name() || !lite_m.qname.empty() ||
      m.qname != opskit::net::dns_name_text(lite_m.qname_wire) || m.qname_wire.view() != lite_m.qname_wire.view() ||
      m.qname_wire.hash != lite_m.qname_wire.hash || m.answers.size() != lite_m.answers.size())
    __builtin_trap();
  return 0;
}
