// The pipeline on the project's own example scenario: every detector fires
// on the traffic made for it, devices and flows come out right, and the
// output is deterministic.
#include <catch2/catch.hpp>

#include <fstream>

#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "net/analyzer.hpp"
#include "net/dga.hpp"
#include "net/flat_map.hpp"
#include "net/source.hpp"
#include "net/synth.hpp"
#include "test_paths.hpp"

using namespace opskit::net;

namespace {
struct Run {
  std::vector<DnsEvent> dns;
  std::vector<Flow> flows;
  std::vector<Alert> alerts;
  Summary summary;
  std::vector<Device> devices;
  std::string json;
};

Run analyse(const std::vector<synth::Frame>& frames, const DgaModel* model, const Indicators* ind = nullptr,
            const AllowList* allow = nullptr, size_t flow_cap = 200000, int threshold = 40) {
  Run r;
  AnalyzerOptions o;
  o.threshold = threshold;
  o.flows.max_flows = flow_cap;
  Analyzer::Sinks sinks;
  sinks.dns = [&](const DnsEvent& e) {
    r.dns.push_back(e);
    r.json += to_json(e).dump() + "\n";
  };
  sinks.conn = [&](const Flow& f) {
    r.flows.push_back(f);
    r.json += to_json(f).dump() + "\n";
  };
  sinks.alert = [&](const Alert& a) {
    r.alerts.push_back(a);
    r.json += to_json(a).dump() + "\n";
  };
  Analyzer an(o, model, ind, allow, sinks);
  for (const auto& f : frames) {
    RawPacket p;
    p.ts_ns = f.ts_ns;
    p.caplen = p.wire_len = static_cast<uint32_t>(f.data.size());
    p.linktype = link_ethernet;
    p.data = f.data.data();
    an.add(p);
  }
  an.finish(HostHistory{});
  r.summary = an.summary();
  r.devices = an.devices().devices(nullptr);
  return r;
}

const Alert* find(const Run& r, const std::string& type) {
  for (const auto& a : r.alerts)
    if (a.threat_type == type) return &a;
  return nullptr;
}
}  // namespace

TEST_CASE("analyzer: the example scenario raises tunnel, beacon and scan alerts with evidence", "[net][analyzer]") {
  auto frames = synth::example_scenario(42, 1767603600);
  Run r = analyse(frames, nullptr);
  CHECK(r.summary.packets == frames.size());
  CHECK(r.summary.weirds.empty());
  // 30 benign + 12 DGA + 80 tunnel lookups, each answered.
  CHECK(r.dns.size() == 122);
  for (const auto& e : r.dns) {
    CHECK(e.has_query);
    CHECK(e.has_response);
    CHECK(e.rtt_ns == 15000000);
  }
  const Alert* tunnel = find(r, "dns_tunnel");
  REQUIRE(tunnel);
  CHECK(tunnel->indicator == "exfil-tunnel.example");
  CHECK(tunnel->score >= 70);
  CHECK(tunnel->evidence["unique_names"] == 80);
  const Alert* beacon = find(r, "beacon");
  REQUIRE(beacon);
  CHECK(beacon->dst == "203.0.113.77");
  CHECK(beacon->score >= 70);
  CHECK(beacon->evidence["connections"] == 60);
  const Alert* scan = find(r, "port_scan");
  REQUIRE(scan);
  CHECK(scan->src == "192.168.10.23");
  CHECK(scan->evidence["failed_ports"] == 200);
  // Devices: DHCP host names, internal IPs, no broadcast entries.
  std::map<std::string, Device> by_mac;
  for (const auto& d : r.devices) by_mac[d.mac] = d;
  REQUIRE(by_mac.count("3c:22:fb:10:20:30"));
  CHECK(by_mac["3c:22:fb:10:20:30"].hostnames.count("finance-laptop-7"));
  CHECK(by_mac["3c:22:fb:10:20:30"].ips.count("192.168.10.23"));
  CHECK_FALSE(by_mac.count("ff:ff:ff:ff:ff:ff"));
  // Deterministic: a second run gives byte-identical records.
  CHECK(analyse(frames, nullptr).json == r.json);
}

TEST_CASE("analyzer: records, devices and alerts do not depend on the process's hash key", "[net][analyzer]") {
  // Every process draws its own key for the per-packet tables: nothing it
  // writes may depend on where a key lands in them, or on a hash value.
  auto frames = synth::example_scenario(42, 1767603600);
  std::string path = DgaModel::default_path();
  std::optional<DgaModel> model;
  if (!path.empty()) model = DgaModel::load(path);
  const HashKey drawn = process_hash_key;
  auto with_key = [&](const HashKey& key) {
    set_hash_key(key);
    Run r = analyse(frames, model ? &*model : nullptr, nullptr, nullptr, 16);  // a small flow cap: evictions too
    std::string out = r.json + r.summary.to_json().dump() + "\n";
    for (const auto& d : r.devices) {
      out += d.mac + " " + d.vendor + " " + std::to_string(d.first_ns) + " " + std::to_string(d.last_ns);
      for (const auto& ip : d.ips) out += " " + ip;
      for (const auto& h : d.hostnames) out += " " + h;
      out += "\n";
    }
    return out;
  };
  const std::string one = with_key(HashKey{{0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull,
                                              0x082efa98ec4e6c89ull, 0x452821e638d01377ull, 0xbe5466cf34e90c6cull}});
  const std::string other = with_key(HashKey{{0x0123456789abcdefull, ~0ull, 0x9e3779b97f4a7c15ull, 1ull << 63,
                                              0x5555555555555555ull, 0xc2b2ae3d27d4eb4full}});
  set_hash_key(drawn);
  CHECK(one.find("\"_path\":\"alert\"") != std::string::npos);
  CHECK(other == one);
  CHECK(with_key(drawn) == one);
}

TEST_CASE("analyzer: the shipped DGA model flags the generated names", "[net][analyzer][dga]") {
  std::string path = DgaModel::default_path();
  if (path.empty()) {
    WARN("no DGA model shipped yet: skipping");
    return;
  }
  DgaModel model = DgaModel::load(path);
  Run r = analyse(synth::example_scenario(42, 1767603600), &model);
  int dga = 0;
  for (const auto& a : r.alerts)
    if (a.threat_type == "dga") {
      ++dga;
      CHECK(a.src == "192.168.10.23");
    }
  CHECK(dga >= 6);
  for (const auto& a : r.alerts) CHECK(a.indicator.find("example.") == std::string::npos);
}

TEST_CASE("analyzer: indicators match on every packet - the allow-list silences alerts", "[net][analyzer]") {
  auto frames = synth::example_scenario(42, 1767603600);
  Indicators ind;
  REQUIRE(ind.add("cidr", "203.0.113.0/24"));
  REQUIRE(ind.add("domain", "exfil-tunnel.example"));
  CHECK_FALSE(ind.add("ip", "not-an-ip"));
  Run r = analyse(frames, nullptr, &ind);
  int hits = 0;
  for (const auto& a : r.alerts)
    if (a.threat_type == "indicator") ++hits;
  CHECK(hits >= 2);
  AllowList allow;
  REQUIRE(allow.add("*.exfil-tunnel.example"));
  REQUIRE(allow.add("203.0.113.77"));
  REQUIRE(allow.add("192.168.10.9/32"));
  Run quiet = analyse(frames, nullptr, &ind, &allow);
  CHECK_FALSE(find(quiet, "dns_tunnel"));
  CHECK_FALSE(find(quiet, "beacon"));
  CHECK_FALSE(find(quiet, "indicator"));
  CHECK(allow.allows_name("a.b.exfil-tunnel.example"));
  CHECK_FALSE(allow.allows_name("exfil-tunnel.example.evil"));
}

TEST_CASE("analyzer: the flow cap bounds memory and every flow is still reported once", "[net][analyzer]") {
  auto frames = synth::example_scenario(42, 1767603600);
  Run capped = analyse(frames, nullptr, nullptr, nullptr, 16);
  Run full = analyse(frames, nullptr);
  CHECK(capped.summary.weirds.count("flow_evicted"));
  uint64_t a = 0, b = 0;
  for (const auto& f : capped.flows) a += f.orig_pkts + f.resp_pkts;
  for (const auto& f : full.flows) b += f.orig_pkts + f.resp_pkts;
  CHECK(a == b);
  CHECK(a == capped.summary.ip_packets);
}

TEST_CASE("analyzer: fragments reassemble - truncated packets are counted, not crashed on", "[net][analyzer]") {
  synth::Endpoint c{{2, 0, 0, 0, 0, 1}, synth::ipv4("10.0.0.1"), 3333};
  synth::Endpoint s{{2, 0, 0, 0, 0, 2}, synth::ipv4("10.0.0.2"), 53};
  auto frame = synth::udp_frame(c, s, synth::dns_query(5, std::string(40, 'a') + ".example", 16));
  // Split the IP payload into two fragments of 24 and the rest.
  std::vector<uint8_t> ip(frame.begin() + 14, frame.end());
  size_t payload = ip.size() - 20;
  auto frag = [&](size_t off, size_t len, bool more) {
    std::vector<uint8_t> f(frame.begin(), frame.begin() + 14);
    std::vector<uint8_t> h(ip.begin(), ip.begin() + 20);
    uint16_t total = static_cast<uint16_t>(20 + len);
    h[2] = uint8_t(total >> 8);
    h[3] = uint8_t(total);
    uint16_t fo = static_cast<uint16_t>((off / 8) | (more ? 0x2000 : 0));
    h[6] = uint8_t(fo >> 8);
    h[7] = uint8_t(fo);
    f.insert(f.end(), h.begin(), h.end());
    f.insert(f.end(), ip.begin() + 20 + static_cast<long>(off), ip.begin() + 20 + static_cast<long>(off + len));
    return f;
  };
  std::vector<synth::Frame> frames = {{1000, frag(24, payload - 24, false)}, {2000, frag(0, 24, true)}};
  Run r = analyse(frames, nullptr);
  REQUIRE(r.dns.size() == 1);
  CHECK(r.dns[0].query == std::string(40, 'a') + ".example");
  // Every prefix of a frame decodes without reading past it (ASan checks the bounds).
  std::vector<synth::Frame> cuts;
  for (size_t n = 0; n < frame.size(); ++n) cuts.push_back({int64_t(3000 + n), std::vector<uint8_t>(frame.begin(), frame.begin() + static_cast<long>(n))});
  Run t = analyse(cuts, nullptr);
  CHECK(t.summary.packets == frame.size());
  CHECK_FALSE(t.summary.weirds.empty());
}

TEST_CASE("dga: registrable labels via the public suffix list", "[net][dga]") {
  auto p = split_domain("A.B.Example.CO.UK.");
  CHECK(p.registrable == "example.co.uk");
  CHECK(p.label == "example");
  CHECK(p.suffix == "co.uk");
  CHECK(p.subdomain == "a.b");
}

TEST_CASE("dga: the split cache (known registrable domains as anchors) agrees with the full public-suffix walk", "[net][dga]") {
  // Private-section and wildcard rules, exceptions, suffixes themselves, odd names.
  std::vector<std::string> names = {"com", "example.com", "a.example.com", "x.y.z.example.co.uk", "co.uk",
                                    "b.co.uk", "s3.amazonaws.com", "bucket.s3.amazonaws.com",
                                    "a.bucket.s3.amazonaws.com", "foo.blogspot.com", "x.foo.blogspot.com",
                                    "blogspot.com", "www.ck", "a.www.ck", "b.c.ck", "x.b.c.ck", "a..b.com",
                                    "Mixed.CASE.Example.Org.", "x.github.io", "y.x.github.io", "localhost",
                                    "a.b.c.d.e.f.g.h.kawasaki.jp", "city.kawasaki.jp", "x.city.kawasaki.jp"};
  std::string dir = opskit::test::shared_data("domains");
  if (!dir.empty()) {
    std::ifstream in(dir + "/opendns-random-domains.txt");
    std::string line;
    for (int i = 0; i < 3000 && std::getline(in, line); ++i) names.push_back(line);
  }
  DomainSplitCache cache;
  for (int round = 0; round < 2; ++round)  // second round: through the anchors
    for (const auto& base : names)
      for (const std::string& n : {base, "q1w2e3.tunnel." + base, "zz." + base}) {
        DomainParts want = split_domain(n);
        const DomainParts& got = cache.split(n);
        INFO(n);
        CHECK(got.registrable == want.registrable);
        CHECK(got.label == want.label);
        CHECK(got.suffix == want.suffix);
        CHECK(got.subdomain == want.subdomain);
      }
}

TEST_CASE("analyzer: decoding ahead, and counting DNS events without a sink, give identical records on every shared capture", "[net][analyzer][shared]") {
  std::string base = opskit::test::shared_data("pcap");
  if (base.empty()) {
    WARN("../shared/data/pcap not found: skipping the lookahead comparison");
    return;
  }
  auto run = [](const std::string& path, bool lookahead, bool dns_sink = true) {
    std::string out;
    Analyzer::Sinks sinks;
    if (dns_sink) sinks.dns = [&](const DnsEvent& e) { out += to_json(e).dump() + "\n"; };
    sinks.conn = [&](const Flow& f) { out += to_json(f).dump() + "\n"; };
    sinks.alert = [&](const Alert& a) { out += to_json(a).dump() + "\n"; };
    AnalyzerOptions o;
    o.threshold = 0;
    o.flows.max_flows = 64;  // evictions too
    Analyzer an(o, nullptr, nullptr, nullptr, sinks);
    an.set_lookahead(lookahead);
    auto src = open_capture_file(path);
    RawPacket p;
    while (src->next(p)) an.add(p);
    an.finish(HostHistory{});
    return out + an.summary().to_json().dump() + "\n";
  };
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(base)) {
    std::string p = e.path().string();
    if (!e.is_regular_file() || p.find(".pcap") == std::string::npos) continue;
    std::string plain;
    try {
      plain = run(p, false);
    } catch (const opskit::DataError&) {
      continue;  // not a capture file (malformed on purpose)
    }
    INFO(p);
    CHECK(run(p, true) == plain);
    // Without a DNS sink events are only counted: everything else is the same.
    std::string without_dns;
    std::istringstream lines(plain);
    for (std::string line; std::getline(lines, line);)
      if (line.find("\"_path\":\"dns\"") == std::string::npos) without_dns += line + "\n";
    CHECK(run(p, true, false) == without_dns);
    // Nor does anything depend on the process's hash key.
    const HashKey drawn = process_hash_key;
    set_hash_key(HashKey{{~drawn.w[0], drawn.w[1] * 3, drawn.w[2] + 1, ~drawn.w[3], drawn.w[4] ^ 0xff00ff00ff00ff00ull,
                          drawn.w[5] + 0x9e3779b97f4a7c15ull}});
    std::string rekeyed = run(p, true);
    set_hash_key(drawn);
    CHECK(rekeyed == plain);
    ++files;
  }
  CHECK(files > 20);
}
