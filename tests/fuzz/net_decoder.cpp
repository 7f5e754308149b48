// Fuzz target: one frame through the decoder and DNS stream parser, with the
// link type taken from the first byte.
#include <cstddef>
#include <cstdint>

#include "net/decode.hpp"
#include "net/dns_stream.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const int links[] = {1, 0, 101, 108, 113, 276, 228, 229};
  opskit::net::RawPacket p;
  p.linktype = links[data[0] % 8];
  p.data = data + 1;
  p.caplen = p.wire_len = static_cast<uint32_t>(size - 1);
  opskit::net::Decoder dec;
  opskit::net::Decoded d;
  opskit::net::Weirds w;
  opskit::net::DnsStreams ds([](const opskit::net::DnsPacketInfo&, const opskit::net::DnsMessage&) {});
  if (dec.decode(p, d)) ds.packet(d, w);
  return 0;
}
