// The DNS fast path: names keyed by their wire form, the anchored
// public-suffix split, the per-name table starting over, a subdomain's
// entropy, and pending queries filled in place. Each is checked against the
// slow, obvious way.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <set>

#include "net/analyzer.hpp"
#include "net/dga.hpp"
#include "net/dns.hpp"
#include "net/flat_map.hpp"
#include "net/synth.hpp"
#include "test_paths.hpp"

using namespace opskit::net;

namespace {
void append(std::vector<uint8_t>& b, std::initializer_list<int> bytes) {
  for (int x : bytes) b.push_back(static_cast<uint8_t>(x));
}

void check_split(DomainSplitCache& cache, const std::string& name) {
  DomainParts want = split_domain(name);
  std::string n = normalize_domain(name);
  DomainSplit got = cache.locate(n);
  INFO(name);
  CHECK(std::string(got.registrable(n)) == want.registrable);
  CHECK(std::string(got.label(n)) == want.label);
  CHECK(std::string(got.suffix(n)) == want.suffix);
  CHECK(std::string(got.subdomain(n)) == want.subdomain);
  CHECK(got.listed == want.listed);
}
// A UDP query from a client to its resolver, as the detectors are handed it.
DnsPacketInfo query_info() {
  DnsPacketInfo info;
  IpAddr::parse("192.0.2.10", info.src);
  IpAddr::parse("192.0.2.53", info.dst);
  info.sport = 40000;
  info.dport = 53;
  info.proto = 17;
  return info;
}

const Alert* find_alert(const std::vector<Alert>& alerts, const std::string& type) {
  for (const auto& a : alerts)
    if (a.threat_type == type) return &a;
  return nullptr;
}
}  // namespace

TEST_CASE("dns fast: the anchored public-suffix split agrees with the libpsl walk", "[net][dns]") {
  // Suffixes with wildcard rules, exceptions, private-section rules and
  // deep rules, under labels that no rule can hold ('+', '/', '_', '=', a
  // backslash escape, a space) and labels that a rule could hold.
  std::vector<std::string> bases = {"example.com", "example.co.uk", "www.ck", "foo.ck", "city.kawasaki.jp",
                                    "x.kawasaki.jp", "bucket.s3.amazonaws.com", "s3.amazonaws.com",
                                    "amazonaws.com", "compute.amazonaws.com", "b.c.compute.amazonaws.com",
                                    "x.github.io", "github.io", "blogspot.com", "foo.blogspot.com", "com", "ck",
                                    "localhost", "home", "hidemyself.org", "in-addr.arpa", "1.0.0.127.in-addr.arpa"};
  std::string dir = opskit::test::shared_data("domains");
  if (!dir.empty()) {
    std::ifstream in(dir + "/opendns-top-domains.txt");
    std::string line;
    for (int i = 0; i < 300 && std::getline(in, line); ++i)
      if (!line.empty()) bases.push_back(line);
  }
  std::vector<std::string> labels = {"q+aN/x", "a_b", "x=", "a\\046b", "a b", "www", "abc123", "xn--a", "*",
                                     "-", "z", "Q+Z8Bn", "s3", "compute", "city"};
  DomainSplitCache cache;
  for (int round = 0; round < 2; ++round)  // the second round meets anchors learnt in the first
    for (const auto& base : bases) {
      check_split(cache, base);
      for (const auto& a : labels) {
        check_split(cache, a + "." + base);
        for (const auto& b : labels) check_split(cache, b + "." + a + "." + base);
      }
    }
  check_split(cache, "");
  check_split(cache, ".example.com");
  check_split(cache, "a..example.com");
  check_split(cache, "q+x..example.com");
}

TEST_CASE("dns fast: a question's wire form names it exactly, compressed or not", "[net][dns]") {
  Weirds w;
  DnsMessage plain, compressed, upper;
  auto q = synth::dns_query(1, "abc.Example.com", 1);
  REQUIRE(parse_dns(q.data(), q.size(), plain, w));
  CHECK(plain.qname == "abc.Example.com");
  CHECK(dns_name_text(plain.qname_wire) == plain.qname);
  CHECK(plain.qname_wire.view() == std::string_view("\3abc\7Example\3com", 16));
  // The same name with its tail a compression pointer (to a second
  // question naming "Example.com"): the same wire form and hash.
  std::vector<uint8_t> m = {0, 2, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0};
  append(m, {3, 'a', 'b', 'c', 0xc0, 22, 0, 1, 0, 1});                       // offsets 12..21
  append(m, {7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1});  // from 22
  REQUIRE(parse_dns(m.data(), m.size(), compressed, w));
  CHECK(compressed.qname == "abc.Example.com");
  CHECK(compressed.qname_wire.view() == plain.qname_wire.view());
  CHECK(compressed.qname_wire.hash == plain.qname_wire.hash);
  // Case is part of the name as asked: another wire form.
  auto u = synth::dns_query(1, "abc.example.com", 1);
  REQUIRE(parse_dns(u.data(), u.size(), upper, w));
  CHECK(upper.qname_wire.view() != plain.qname_wire.view());
  CHECK(w.total() == 0);
  // A dot inside a label is another name than the label boundary it looks like.
  DnsMessage dotted, two;
  std::vector<uint8_t> d = {0, 3, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  append(d, {3, 'a', '.', 'b', 0, 0, 1, 0, 1});
  auto t = synth::dns_query(3, "a.b", 1);
  REQUIRE(parse_dns(d.data(), d.size(), dotted, w));
  REQUIRE(parse_dns(t.data(), t.size(), two, w));
  CHECK(dotted.qname == "a\\046b");
  CHECK(dotted.qname_wire.view() != two.qname_wire.view());
  CHECK(dns_name_text(dotted.qname_wire) == dotted.qname);
  // Without text the wire form is all there is, and it is the same.
  DnsMessage lite;
  DnsLimits no_text;
  no_text.render = false;
  REQUIRE(parse_dns(m.data(), m.size(), lite, w, no_text));
  CHECK(lite.qname.empty());
  CHECK(lite.qname_wire.view() == plain.qname_wire.view());
}

TEST_CASE("dns fast: a wire name's hash reads every byte of it and nothing past it, on either engine", "[net][dns]") {
  // Every length a name can have, and every byte of it changed in turn: the
  // last bytes are read as words that overlap the ones before, and a byte
  // those reads missed (or one past the end that they took in) would show.
  for (HashEngine engine : {HashEngine::best, HashEngine::portable}) {
    std::set<uint64_t> seen;
    size_t hashed = 0;
    for (size_t n = 0; n <= DnsWireName::kMax; ++n) {
      std::vector<uint8_t> bytes(n + 64);
      for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>('a' + (i * 7 + n) % 26);
      const uint64_t base = dns_wire_hash(bytes.data() + 32, n, engine);
      seen.insert(base);
      ++hashed;
      // The same bytes elsewhere in memory: the same hash.
      std::vector<uint8_t> moved(bytes.begin() + 32, bytes.begin() + 32 + static_cast<long>(n));
      CHECK(dns_wire_hash(moved.data(), n, engine) == base);
      // Bytes either side of the name do not count.
      bytes[31] ^= 0x55;
      bytes[32 + n] ^= 0x55;
      CHECK(dns_wire_hash(bytes.data() + 32, n, engine) == base);
      for (size_t i = 0; i < n; ++i) {
        bytes[32 + i] ^= 0x20;
        seen.insert(dns_wire_hash(bytes.data() + 32, n, engine));
        ++hashed;
        bytes[32 + i] ^= 0x20;
      }
    }
    CHECK(seen.size() == hashed);
  }
}

TEST_CASE("dns fast: a wire name's hash depends on the process's hash key, on either engine", "[net][dns]") {
  // Names are chosen by whoever sends them: with a key nobody outside the
  // process knows, colliding names cannot be worked out in advance.
  const HashKey drawn = process_hash_key;
  const std::string name = "\x07example\x03com";
  const std::string longer(200, 'x');
  for (HashEngine engine : {HashEngine::best, HashEngine::portable})
    for (const std::string* s : {&name, &longer}) {
      const auto* p = reinterpret_cast<const uint8_t*>(s->data());
      std::set<uint64_t> seen;
      for (uint64_t k = 0; k < 6; ++k) {
        HashKey key = drawn;
        key.w[k] ^= 1;
        set_hash_key(key);
        seen.insert(dns_wire_hash(p, s->size(), engine));
      }
      set_hash_key(drawn);
      seen.insert(dns_wire_hash(p, s->size(), engine));
      // Every word of the key counts, but the portable engine's four lanes take four.
      CHECK(seen.size() == (engine == HashEngine::best ? 7u : 5u));
    }
}

TEST_CASE("dns fast: a question's name is copied whole, at every length", "[net][dns]") {
  // The parser copies an uncompressed name while hashing it, 16 bytes at a
  // time with the last ones overlapping: every wire length from 2 to 254.
  for (size_t n = 2; n <= DnsWireName::kMax; ++n) {
    std::vector<uint8_t> wire;
    for (size_t rest = n; rest;) {
      size_t label = std::min<size_t>(63, rest - 1);
      if (rest - label - 1 == 1) --label;  // a lone byte left over cannot be a label
      wire.push_back(static_cast<uint8_t>(label));
      for (size_t i = 0; i < label; ++i) wire.push_back(static_cast<uint8_t>('a' + (wire.size() * 5 + n) % 26));
      rest -= label + 1;
    }
    std::vector<uint8_t> message = {0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    message.insert(message.end(), wire.begin(), wire.end());
    append(message, {0, 0, 16, 0, 1});
    Weirds w;
    DnsMessage m;
    REQUIRE(parse_dns(message.data(), message.size(), m, w));
    CHECK(m.qname_wire.view() == std::string_view(reinterpret_cast<const char*>(wire.data()), n));
    CHECK(m.qname_wire.hash == dns_wire_hash(wire.data(), n));
    CHECK(w.total() == 0);
  }
}

TEST_CASE("dns fast: names counted once per domain when the name table starts over", "[net][dns]") {
  // More distinct names than the per-name table holds (65,536), then the
  // first ones again: the domain's unique-name count is the number of
  // distinct names, whatever the table forgot.
  DetectorOptions o;
  o.max_names_per_domain = 200000;
  Detectors det(nullptr, nullptr, nullptr, o, [](const Alert&) {});
  DnsPacketInfo info = query_info();
  Weirds w;
  DnsMessage m;
  DnsLimits no_text;
  no_text.render = false;
  const int distinct = 70000;
  auto name = [](int i) { return "n" + std::to_string(i) + "x0123456789abcdefghij.tunnel.example.com"; };
  int64_t ts = 1'700'000'000'000'000'000;
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < (pass ? 100 : distinct); ++i) {
      auto q = synth::dns_query(static_cast<uint16_t>(i), name(i), 16);
      REQUIRE(parse_dns(q.data(), q.size(), m, w, no_text));
      info.ts_ns = ts += 1000000;
      det.dns(info, m);
    }
  auto alerts = det.evaluate(HostHistory{});
  const Alert* tunnel = find_alert(alerts, "dns_tunnel");
  REQUIRE(tunnel);
  CHECK(tunnel->indicator == "example.com");
  CHECK(tunnel->evidence["unique_names"] == distinct);
  CHECK(tunnel->evidence["queries"] == distinct + 100);
  // (The example is replaced only by a name whose subdomain is longer than
  // the whole example name, so here it stays the first.)
  CHECK(tunnel->evidence["example"] == name(0));
  CHECK(w.total() == 0);
}

TEST_CASE("dns fast: a subdomain's entropy counts every byte of its text, however often it recurs", "[net][dns]") {
  // Escaped bytes render as \DDD: 128 bytes 0xc8 put the digit 0 in the
  // text exactly 256 times (a byte counter would read 0), and the letters,
  // digits and punctuation fall in different quarters of the byte range.
  Detectors det(nullptr, nullptr, nullptr, DetectorOptions{}, [](const Alert&) {});
  DnsPacketInfo info = query_info();
  info.ts_ns = 1'700'000'000'000'000'000;
  Weirds w;
  DnsMessage m;
  DnsLimits no_text;
  no_text.render = false;
  double sum = 0;  // the entropies worked out the obvious way: all 256 counts
  const int names = 5;
  for (int i = 0; i < names; ++i) {
    std::string label(63, static_cast<char>(0xc8));
    std::string sub = std::string("q") + static_cast<char>('a' + i) + "Zz." + label + "." + label + ".\xc8\xc8";
    auto q = synth::dns_query(static_cast<uint16_t>(i), sub + ".tunnel.example.com", 16);
    REQUIRE(parse_dns(q.data(), q.size(), m, w, no_text));
    det.dns(info, m);
    std::string text = normalize_domain(dns_name_text(m.qname_wire));
    text.resize(text.size() - std::string(".example.com").size());
    double counts[256] = {};
    for (unsigned char c : text) ++counts[c];
    double e = 0;
    for (double n : counts)
      if (n > 0) e -= n / double(text.size()) * std::log2(n / double(text.size()));
    sum += e;
  }
  auto alerts = det.evaluate(HostHistory{});
  const Alert* tunnel = find_alert(alerts, "dns_tunnel");
  REQUIRE(tunnel);
  CHECK(tunnel->evidence["unique_names"] == names);
  CHECK(tunnel->evidence["avg_entropy"].get<double>() == Approx(sum / names).margin(0.005));
}

TEST_CASE("dns fast: pending queries - retransmissions, matches and timeouts reuse events cleanly", "[net][dns]") {
  // Events are refilled in place: nothing of an earlier transaction (its
  // answers, client subnet, response fields) may leak into a later one.
  synth::Endpoint client{{2, 0, 0, 0, 0, 1}, synth::ipv4("192.0.2.10"), 40000};
  synth::Endpoint server{{2, 0, 0, 0, 0, 2}, synth::ipv4("192.0.2.53"), 53};
  std::vector<synth::Frame> frames;
  int64_t t = 1'700'000'000'000'000'000;
  auto add = [&](int64_t at, const synth::Endpoint& from, const synth::Endpoint& to, const synth::Bytes& dns) {
    frames.push_back({t + at, synth::udp_frame(from, to, dns)});
  };
  add(0, client, server, synth::dns_query(1, "a.example.com", 1));
  add(1'000'000, server, client, synth::dns_response(1, "a.example.com", 1, 0, {"192.0.2.1", "192.0.2.2"}));
  add(2'000'000, client, server, synth::dns_query(2, "b.example.com", 1));
  add(3'000'000, client, server, synth::dns_query(2, "b.example.com", 1));  // retransmitted
  add(4'000'000, server, client, synth::dns_response(2, "b.example.com", 1, 3, {}));
  add(5'000'000, client, server, synth::dns_query(3, "c.example.com", 16));  // never answered
  add(6'000'000, server, client, synth::dns_response(9, "d.example.com", 1, 0, {"192.0.2.9"}));  // unmatched
  add(20'000'000'000, client, server, synth::dns_query(4, "e.example.com", 1));  // after the timeout sweep
  add(20'001'000'000, server, client, synth::dns_response(4, "e.example.com", 1, 0, {}));
  std::vector<DnsEvent> events;
  Analyzer::Sinks sinks;
  sinks.dns = [&](const DnsEvent& e) { events.push_back(e); };
  Analyzer an(AnalyzerOptions{}, nullptr, nullptr, nullptr, sinks);
  for (const auto& f : frames) {
    RawPacket p;
    p.ts_ns = f.ts_ns;
    p.caplen = p.wire_len = static_cast<uint32_t>(f.data.size());
    p.data = f.data.data();
    an.add(p);
  }
  an.finish(HostHistory{});
  REQUIRE(events.size() == 6);
  CHECK(events[0].query == "a.example.com");
  CHECK(events[0].answers == std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
  CHECK(events[0].rtt_ns == 1'000'000);
  // The older of the retransmitted pair goes out alone; the newer gets the answer.
  CHECK(events[1].query == "b.example.com");
  CHECK(events[1].ts_ns == t + 2'000'000);
  CHECK_FALSE(events[1].has_response);
  CHECK(events[1].rcode == -1);
  CHECK(events[2].ts_ns == t + 3'000'000);
  CHECK(events[2].rcode == 3);
  CHECK(events[2].answers.empty());
  CHECK(events[2].rtt_ns == 1'000'000);
  CHECK(events[3].query == "d.example.com");  // the unmatched response, at once
  CHECK_FALSE(events[3].has_query);
  CHECK(events[3].answers == std::vector<std::string>{"192.0.2.9"});
  CHECK(events[4].query == "c.example.com");  // swept after 10 s of capture time
  CHECK_FALSE(events[4].has_response);
  CHECK(events[4].answers.empty());
  CHECK(events[4].rtt_ns == -1);
  CHECK(events[5].query == "e.example.com");
  CHECK(events[5].answers.empty());
  CHECK(events[5].rcode == 0);
  CHECK(an.summary().weirds.at("dns_unmatched_response") == 1);
}
