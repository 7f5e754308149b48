// Fuzz target: the pcap/pcapng file reader, then every packet through the
// whole analyzer (decoder, DNS, flows, devices, detectors).
#include <cstddef>
#include <cstdint>

#include "net/analyzer.hpp"
#include "net/source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  opskit::net::MemoryReader reader(data, size);
  opskit::net::AnalyzerOptions o;
  o.flows.max_flows = 64;
  o.threshold = 0;
  opskit::net::Analyzer an(o, nullptr, nullptr, nullptr, {});
  opskit::net::RawPacket p;
  while (reader.next(p)) an.add(p);
  an.finish({});
  return 0;
}
