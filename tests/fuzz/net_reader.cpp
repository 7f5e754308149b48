// Fuzz target: the pcap/pcapng file reader, then every packet through the
// whole analyzer (decoder, DNS, flows, devices, detectors), with and without
// working one packet ahead; then the same bytes read as a stream that
// arrives in small pieces (the gzip / stdin path), which must yield the
// same packets.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "net/analyzer.hpp"
#include "net/source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::vector<uint8_t>> whole;
  for (bool ahead : {false, true}) {
    opskit::net::MemoryReader reader(data, size);
    opskit::net::AnalyzerOptions o;
    o.flows.max_flows = 64;
    o.threshold = 0;
    opskit::net::Analyzer an(o, nullptr, nullptr, nullptr, {});
    an.set_lookahead(ahead);
    opskit::net::RawPacket p;
    while (reader.next(p)) {
      an.add(p);
      if (!ahead) whole.emplace_back(p.data, p.data + p.caplen);
    }
    an.finish({});
  }
  // Then streamed in 7-byte pieces through a window that keeps only the unread tail.
  const size_t piece = 7;
  std::vector<uint8_t> window;
  size_t fed = std::min<size_t>(size, 24);  // a file header first, as the stream reader's first fill holds
  window.assign(data, data + fed);
  opskit::net::MemoryReader stream(window.data(), window.size(), "<stream>", fed < size);
  if (!stream.valid()) return 0;
  size_t got = 0;
  opskit::net::RawPacket p;
  for (;;) {
    if (stream.next(p)) {
      if (got >= whole.size() || p.caplen != whole[got].size() ||
          (p.caplen && std::memcmp(p.data, whole[got].data(), p.caplen) != 0))
        std::abort();
      ++got;
      continue;
    }
    if (!stream.starved()) break;
    std::vector<uint8_t> rest(window.begin() + static_cast<std::ptrdiff_t>(stream.consumed()), window.end());
    size_t more = std::min(size - fed, piece);
    rest.insert(rest.end(), data + fed, data + fed + more);
    fed += more;
    window.swap(rest);
    stream.refill(window.data(), window.size(), fed < size);
  }
  if (got != whole.size()) std::abort();
  return 0;
}
