// DNS parser: well-formed messages, every record shape, and hostile input.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "net/decode.hpp"
#include "net/dns.hpp"
#include "net/dns_stream.hpp"
#include "net/flat_map.hpp"
#include "net/source.hpp"
#include "net/synth.hpp"
#include "test_paths.hpp"

using namespace opskit::net;

namespace {
std::vector<uint8_t> header(uint16_t qd, uint16_t an, uint16_t ns = 0, uint16_t ar = 0, uint16_t flags = 0x8180) {
  return {0x12, 0x34, uint8_t(flags >> 8), uint8_t(flags), uint8_t(qd >> 8), uint8_t(qd), uint8_t(an >> 8), uint8_t(an),
          uint8_t(ns >> 8), uint8_t(ns), uint8_t(ar >> 8), uint8_t(ar)};
}
void append(std::vector<uint8_t>& b, std::initializer_list<int> bytes) {
  for (int x : bytes) b.push_back(static_cast<uint8_t>(x));
}
}  // namespace

TEST_CASE("dns: query and response with answers round-trip from the generator", "[net][dns]") {
  Weirds w;
  DnsMessage m;
  auto q = synth::dns_query(7, "www.Example.com", 28);
  REQUIRE(parse_dns(q.data(), q.size(), m, w));
  CHECK(m.id == 7);
  CHECK_FALSE(m.response);
  CHECK(m.qname == "www.Example.com");
  CHECK(m.qtype == 28);
  auto r = synth::dns_response(7, "a.example", 1, 0, {"192.0.2.1", "192.0.2.2"});
  REQUIRE(parse_dns(r.data(), r.size(), m, w));
  CHECK(m.response);
  REQUIRE(m.answers.size() == 2);
  CHECK(m.answers[0].name == "a.example");
  CHECK(m.answers[1].data == "192.0.2.2");
  CHECK(m.answers[0].ttl == 300);
  auto t = synth::dns_response(9, "t.example", 16, 3, {"hello \"x\""});
  REQUIRE(parse_dns(t.data(), t.size(), m, w));
  CHECK(m.rcode == 3);
  CHECK(m.answers[0].data == "\"hello \\\"x\\\"\"");
  CHECK(w.total() == 0);
}

TEST_CASE("dns: compression loops, forward and out-of-range pointers are counted, never followed forever", "[net][dns]") {
  Weirds w;
  DnsMessage m;
  auto b = header(1, 0);
  append(b, {0xc0, 12, 0, 1, 0, 1});  // name points at itself
  // The header is kept (tshark shows such messages too), the question is not.
  CHECK(parse_dns(b.data(), b.size(), m, w));
  CHECK_FALSE(m.complete);
  CHECK(m.questions.empty());
  CHECK(w.get(Weird::dns_pointer_loop) == 1);
  auto c = header(1, 0);
  append(c, {0xc0, 0xff, 0, 1, 0, 1});  // past the end
  CHECK(parse_dns(c.data(), c.size(), m, w));
  CHECK(m.questions.empty());
  CHECK(w.get(Weird::dns_pointer_out_of_range) == 1);
  // Two pointers pointing at each other.
  auto d = header(1, 0);
  append(d, {0xc0, 14, 0xc0, 12, 0, 1, 0, 1});
  CHECK(parse_dns(d.data(), d.size(), m, w));
  CHECK(m.questions.empty());
  CHECK(w.get(Weird::dns_pointer_loop) == 2);
}

TEST_CASE("dns: label and name limits, bad label types, truncation", "[net][dns]") {
  Weirds w;
  DnsMessage m;
  auto b = header(1, 0);
  for (int i = 0; i < 5; ++i) {  // 5 labels of 63: 320 bytes > 255
    b.push_back(63);
    b.insert(b.end(), 63, 'a');
  }
  append(b, {0, 0, 1, 0, 1});
  CHECK(parse_dns(b.data(), b.size(), m, w));
  CHECK(m.questions.empty());
  CHECK(w.get(Weird::dns_name_too_long) == 1);
  auto c = header(1, 0);
  append(c, {0x41, 'a', 0, 0, 1, 0, 1});
  CHECK(parse_dns(c.data(), c.size(), m, w));
  CHECK(m.questions.empty());
  CHECK(w.get(Weird::dns_bad_label) == 1);
  auto d = header(1, 0);
  append(d, {5, 'a', 'b'});
  CHECK(parse_dns(d.data(), d.size(), m, w));
  CHECK_FALSE(m.complete);
  CHECK(w.get(Weird::dns_truncated) >= 1);
  std::vector<uint8_t> tiny = {1, 2, 3};
  CHECK_FALSE(parse_dns(tiny.data(), tiny.size(), m, w));
}

TEST_CASE("dns: huge record counts are bounded by the bytes present", "[net][dns]") {
  Weirds w;
  DnsMessage m;
  auto b = header(1, 65535, 65535, 65535);
  append(b, {1, 'x', 0, 0, 1, 0, 1});
  REQUIRE(parse_dns(b.data(), b.size(), m, w));
  CHECK(m.qname == "x");
  CHECK_FALSE(m.complete);
  CHECK(m.answers.empty());
  CHECK(w.get(Weird::dns_too_many_records) >= 1);
}

TEST_CASE("dns: EDNS0 with client subnet, root name and unknown types by number", "[net][dns]") {
  Weirds w;
  DnsMessage m;
  auto b = header(1, 1, 0, 1, 0x0100);
  append(b, {0, 0, 2, 0, 1});                                   // root NS query
  append(b, {0, 0xff, 0x00, 0, 1, 0, 0, 0, 60, 0, 2, 0xab, 0xcd});  // type 65280, 2 bytes
  append(b, {0, 0, 41, 0x10, 0x00, 0x01, 0x00, 0x80, 0x00, 0, 11});  // OPT, udp 4096, ext rcode 1, DO
  append(b, {0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100});             // ECS 198.51.100.0/24
  REQUIRE(parse_dns(b.data(), b.size(), m, w));
  CHECK(m.qname.empty());
  CHECK(m.edns);
  CHECK(m.edns_udp_size == 4096);
  CHECK(m.edns_do);
  CHECK(m.rcode == 16);
  CHECK(m.client_subnet == "198.51.100.0/24");
  REQUIRE(m.answers.size() == 1);
  CHECK(dns_type_name(m.answers[0].type) == "TYPE65280");
  CHECK(m.answers[0].data == "abcd");
  CHECK(dns_type_name(65) == "HTTPS");
}

TEST_CASE("dns: names with special bytes are escaped as backslash and three decimal digits", "[net][dns]") {
  Weirds w;
  DnsMessage m;
  auto b = header(1, 0, 0, 0, 0x0100);
  append(b, {3, 'a', '.', 0, 0, 0, 1, 0, 1});
  REQUIRE(parse_dns(b.data(), b.size(), m, w));
  CHECK(m.qname == "a\\046\\000");
}

TEST_CASE("dns: without text (render off) the same fields and the same anomalies come out on every shared capture",
          "[net][dns][shared]") {
  std::string base = opskit::test::shared_data("pcap");
  if (base.empty()) {
    WARN("../shared/data/pcap not found: skipping the render comparison");
    return;
  }
  // Every UDP/TCP payload on a DNS port, parsed both ways, plus the payload
  // cut at every length for the first messages (damaged names and RDATA).
  size_t messages = 0;
  auto compare = [&](const uint8_t* p, size_t n) {
    Weirds wa, wb;
    DnsMessage a, b;
    DnsLimits lite;
    lite.render = false;
    bool oka = parse_dns(p, n, a, wa), okb = parse_dns(p, n, b, wb, lite);
    REQUIRE(oka == okb);
    CHECK(wa.by_name() == wb.by_name());
    CHECK(b.qname.empty());
    CHECK(a.qname == dns_name_text(b.qname_wire));
    CHECK(a.qname_wire.view() == b.qname_wire.view());
    CHECK(a.qname_wire.hash == b.qname_wire.hash);
    CHECK(a.qtype == b.qtype);
    CHECK(a.rcode == b.rcode);
    CHECK(a.complete == b.complete);
    CHECK(a.client_subnet == b.client_subnet);
    CHECK(b.questions.empty());
    REQUIRE(a.answers.size() == b.answers.size());
    for (size_t i = 0; i < a.answers.size(); ++i) {
      CHECK(a.answers[i].type == b.answers[i].type);
      CHECK(a.answers[i].ttl == b.answers[i].ttl);
      CHECK(a.answers[i].rdlength == b.answers[i].rdlength);
      CHECK(b.answers[i].data.empty());
    }
    CHECK(a.authority.size() == b.authority.size());
    CHECK(a.additional.size() == b.additional.size());
    ++messages;
  };
  for (const auto& e : std::filesystem::recursive_directory_iterator(base)) {
    std::string path = e.path().string();
    if (!e.is_regular_file() || path.find(".pcap") == std::string::npos) continue;
    std::unique_ptr<PacketSource> src;
    try {
      src = open_capture_file(path);
    } catch (const opskit::DataError&) {
      continue;
    }
    INFO(path);
    Decoder dec;
    Decoded d;
    RawPacket raw;
    size_t cut = 0;
    while (src->next(raw)) {
      if (!dec.decode(raw, d) || !d.payload || !d.payload_len || (!is_dns_port(d.sport) && !is_dns_port(d.dport))) continue;
      size_t skip = d.proto == proto_tcp ? 2 : 0;  // the TCP length prefix
      if (d.payload_len <= skip) continue;
      compare(d.payload + skip, d.payload_len - skip);
      if (cut++ < 8)
        for (size_t n = 0; n < d.payload_len - skip; ++n) compare(d.payload + skip, n);
    }
  }
  CHECK(messages > 1000);
}

TEST_CASE("dns: every byte value renders the same at every position of a long label", "[net][dns]") {
  // Long labels are copied 16 bytes at a time while they are plain: each
  // byte must still be escaped exactly when it is not.
  auto plain = [](int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '*' || c == '/' || c == '+' || c == '=';
  };
  Weirds w;
  DnsMessage m;
  for (int c = 0; c < 256; ++c)
    for (size_t at : {0, 7, 15, 16, 17, 31, 32, 47, 62}) {
      std::vector<uint8_t> label(63, 'k');
      label[at] = static_cast<uint8_t>(c);
      auto b = header(1, 0, 0, 0, 0x0100);
      b.push_back(63);
      b.insert(b.end(), label.begin(), label.end());
      append(b, {0, 0, 1, 0, 1});
      REQUIRE(parse_dns(b.data(), b.size(), m, w));
      std::string want;
      for (uint8_t x : label) {
        if (plain(x)) want.push_back(static_cast<char>(x));
        else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%03d", x);
          want += buf;
        }
      }
      INFO(c << " at " << at);
      CHECK(m.qname == want);
    }
  CHECK(w.total() == 0);
}

TEST_CASE("dns over tcp: a full stream table drops the stream opened first, whatever the hash key", "[net][dns]") {
  // Three streams each send the first half of a length-prefixed query into
  // a table of two: the first one opened goes, the other two complete.
  const HashKey drawn = process_hash_key;
  for (uint64_t round = 0; round < 8; ++round) {
    HashKey key = drawn;
    for (uint64_t& w : key.w) w = mix64(w + round);
    set_hash_key(key);
    std::vector<std::string> names;
    DnsStreams streams([&](const DnsPacketInfo&, const DnsMessage& m) { names.push_back(m.qname); }, 2);
    Weirds weirds;
    std::vector<std::vector<uint8_t>> wires;
    for (int s = 0; s < 3; ++s) {
      std::vector<uint8_t> q = synth::dns_query(static_cast<uint16_t>(s), "stream" + std::to_string(s) + ".example", 1);
      std::vector<uint8_t> wire{uint8_t(q.size() >> 8), uint8_t(q.size())};
      wire.insert(wire.end(), q.begin(), q.end());
      wires.push_back(wire);
    }
    auto segment = [&](int s, bool first_half) {
      Decoded d;
      d.has_ip = true;
      REQUIRE(IpAddr::parse("10.0.0." + std::to_string(s + 1), d.src));
      REQUIRE(IpAddr::parse("10.0.0.53", d.dst));
      d.sport = static_cast<uint16_t>(40000 + s);
      d.dport = 53;
      d.proto = proto_tcp;
      d.tcp_flags = tcp_flag::ack;
      const size_t half = wires[s].size() / 2;
      d.tcp_seq = 1000 + (first_half ? 0 : static_cast<uint32_t>(half));
      d.payload = wires[s].data() + (first_half ? 0 : half);
      d.payload_len = static_cast<uint32_t>(first_half ? half : wires[s].size() - half);
      streams.packet(d, weirds);
    };
    for (int s = 0; s < 3; ++s) segment(s, true);
    for (int s = 1; s < 3; ++s) segment(s, false);
    CHECK(names == std::vector<std::string>{"stream1.example", "stream2.example"});
  }
  set_hash_key(drawn);
}
