// Synthetic frames for examples and tests.
#include "net/synth.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <random>

#include "net/source.hpp"

namespace opskit::net::synth {

namespace {
void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void put_name(Bytes& b, const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    size_t len = std::min<size_t>(dot - start, 63);
    b.push_back(static_cast<uint8_t>(len));
    b.insert(b.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(start + len));
    start = dot + 1;
  }
  b.push_back(0);
}
uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) sum += uint32_t(p[n - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
Bytes ip_frame(const Endpoint& src, const Endpoint& dst, uint8_t proto, const Bytes& l4) {
  Bytes f(dst.mac, dst.mac + 6);
  f.insert(f.end(), src.mac, src.mac + 6);
  put16(f, 0x0800);
  size_t ip_at = f.size();
  f.push_back(0x45);
  f.push_back(0);
  put16(f, static_cast<uint16_t>(20 + l4.size()));
  put16(f, static_cast<uint16_t>(src.port ^ dst.port));
  put16(f, 0x4000);
  f.push_back(64);
  f.push_back(proto);
  put16(f, 0);
  put32(f, src.ip);
  put32(f, dst.ip);
  uint16_t c = checksum(f.data() + ip_at, 20);
  f[ip_at + 10] = static_cast<uint8_t>(c >> 8);
  f[ip_at + 11] = static_cast<uint8_t>(c);
  f.insert(f.end(), l4.begin(), l4.end());
  return f;
}
}  // namespace

uint32_t ipv4(const std::string& dotted) {
  in_addr a{};
  inet_pton(AF_INET, dotted.c_str(), &a);
  return ntohl(a.s_addr);
}

Bytes dns_query(uint16_t id, const std::string& name, uint16_t qtype) {
  Bytes b;
  put16(b, id);
  put16(b, 0x0100);
  put16(b, 1);
  put16(b, 0);
  put16(b, 0);
  put16(b, 0);
  put_name(b, name);
  put16(b, qtype);
  put16(b, 1);
  return b;
}

Bytes dns_response(uint16_t id, const std::string& name, uint16_t qtype, uint8_t rcode,
                   const std::vector<std::string>& answers) {
  Bytes b;
  put16(b, id);
  put16(b, static_cast<uint16_t>(0x8180 | rcode));
  put16(b, 1);
  put16(b, static_cast<uint16_t>(answers.size()));
  put16(b, 0);
  put16(b, 0);
  put_name(b, name);
  put16(b, qtype);
  put16(b, 1);
  for (const auto& a : answers) {
    put16(b, 0xc00c);  // pointer to the question name
    put16(b, qtype == 16 ? 16 : 1);
    put16(b, 1);
    put32(b, 300);
    if (qtype == 16) {
      put16(b, static_cast<uint16_t>(a.size() + 1));
      b.push_back(static_cast<uint8_t>(a.size()));
      b.insert(b.end(), a.begin(), a.end());
    } else {
      put16(b, 4);
      put32(b, ipv4(a));
    }
  }
  return b;
}

Bytes udp_frame(const Endpoint& src, const Endpoint& dst, const Bytes& payload) {
  Bytes u;
  put16(u, src.port);
  put16(u, dst.port);
  put16(u, static_cast<uint16_t>(8 + payload.size()));
  put16(u, 0);
  u.insert(u.end(), payload.begin(), payload.end());
  return ip_frame(src, dst, 17, u);
}

Bytes tcp_frame(const Endpoint& src, const Endpoint& dst, uint32_t seq, uint8_t flags, const Bytes& payload) {
  Bytes t;
  put16(t, src.port);
  put16(t, dst.port);
  put32(t, seq);
  put32(t, (flags & 0x10) ? 1 : 0);
  t.push_back(0x50);
  t.push_back(flags);
  put16(t, 65535);
  put16(t, 0);
  put16(t, 0);
  t.insert(t.end(), payload.begin(), payload.end());
  return ip_frame(src, dst, 6, t);
}

Bytes dhcp_request(const Endpoint& client, const std::string& hostname, uint32_t requested_ip) {
  Bytes d(240, 0);
  d[0] = 1;
  d[1] = 1;
  d[2] = 6;
  d[4] = 0x12;
  std::copy(client.mac, client.mac + 6, d.begin() + 28);
  d[236] = 99;
  d[237] = 130;
  d[238] = 83;
  d[239] = 99;
  d.insert(d.end(), {53, 1, 3});
  d.push_back(50);
  d.push_back(4);
  put32(d, requested_ip);
  d.push_back(12);
  d.push_back(static_cast<uint8_t>(hostname.size()));
  d.insert(d.end(), hostname.begin(), hostname.end());
  d.push_back(255);
  Endpoint src = client;
  src.ip = 0;
  src.port = 68;
  Endpoint bcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0xffffffff, 67};
  return udp_frame(src, bcast, d);
}

std::vector<Frame> example_scenario(uint64_t seed, int64_t start) {
  std::mt19937_64 rng(seed);
  std::vector<Frame> out;
  const int64_t s = 1000000000;
  int64_t t0 = start * s;
  Endpoint laptop{{0x3c, 0x22, 0xfb, 0x10, 0x20, 0x30}, ipv4("192.168.10.23"), 0};
  Endpoint desk{{0x00, 0x1b, 0x21, 0x44, 0x55, 0x66}, ipv4("192.168.10.40"), 0};
  Endpoint printer{{0x00, 0x00, 0x48, 0x01, 0x02, 0x03}, ipv4("192.168.10.9"), 0};
  Endpoint resolver{{0x00, 0x0d, 0xb9, 0xaa, 0xbb, 0xcc}, ipv4("192.168.10.1"), 53};
  Endpoint c2{{0x00, 0x0d, 0xb9, 0xaa, 0xbb, 0xcc}, ipv4("203.0.113.77"), 443};
  auto dns = [&](int64_t ts, Endpoint client, uint16_t id, const std::string& name, uint16_t qtype, uint8_t rcode,
                 std::vector<std::string> answers) {
    client.port = static_cast<uint16_t>(20000 + rng() % 40000);
    out.push_back({ts, udp_frame(client, resolver, dns_query(id, name, qtype))});
    out.push_back({ts + 15 * 1000000, udp_frame(resolver, client, dns_response(id, name, qtype, rcode, answers))});
  };
  uint16_t id = 1;
  // DHCP and an mDNS-style announcement for the inventory.
  out.push_back({t0, dhcp_request(laptop, "finance-laptop-7", laptop.ip)});
  out.push_back({t0 + s / 2, dhcp_request(desk, "reception-pc", desk.ip)});
  // Benign browsing.
  const char* benign[] = {"www.example.com", "mail.example.org", "cdn.example.net", "intranet.example.com",
                          "updates.example.com", "news.example.org"};
  for (int i = 0; i < 30; ++i)
    dns(t0 + (2 + i * 17) * s, i % 2 ? laptop : desk, id++, benign[i % 6], 1, 0, {"198.51.100." + std::to_string(10 + i % 6)});
  // DGA-looking NXDOMAIN storm from the laptop.
  const char* alphabet = "abcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 12; ++i) {
    std::string label;
    int len = 12 + static_cast<int>(rng() % 8);
    for (int k = 0; k < len; ++k) label.push_back(alphabet[rng() % 26]);
    dns(t0 + (40 + i) * s, laptop, id++, label + (i % 2 ? ".com" : ".net"), 1, 3, {});
  }
  // DNS tunnel: long hex-encoded labels under one domain, TXT queries.
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 80; ++i) {
    std::string chunk;
    for (int k = 0; k < 56; ++k) chunk.push_back(hex[rng() % 16]);
    dns(t0 + 100 * s + i * s / 2, laptop, id++, chunk + "." + std::to_string(i) + ".t.exfil-tunnel.example", 16, 0,
        {"ok" + std::to_string(i)});
  }
  // Beacon: a TCP connection every 60 s (+-1 s jitter) for an hour, same size.
  for (int i = 0; i < 60; ++i) {
    int64_t ts = t0 + 5 * s + i * 60 * s + static_cast<int64_t>(rng() % 1000) * 1000000;
    Endpoint l = laptop;
    l.port = static_cast<uint16_t>(40000 + i);
    out.push_back({ts, tcp_frame(l, c2, 1000, 0x02, {})});
    out.push_back({ts + 20 * 1000000, tcp_frame(c2, l, 5000, 0x12, {})});
    out.push_back({ts + 40 * 1000000, tcp_frame(l, c2, 1001, 0x18, Bytes(180, 0x41))});
    out.push_back({ts + 60 * 1000000, tcp_frame(l, c2, 1181, 0x11, {})});
    out.push_back({ts + 80 * 1000000, tcp_frame(c2, l, 5001, 0x11, {})});
  }
  // Port scan of the printer from the laptop: SYNs answered by RST.
  for (int p = 1; p <= 200; ++p) {
    Endpoint l = laptop;
    l.port = 55000;
    Endpoint dst = printer;
    dst.port = static_cast<uint16_t>(p);
    int64_t ts = t0 + 300 * s + p * 2 * 1000000;
    out.push_back({ts, tcp_frame(l, dst, 7000, 0x02, {})});
    out.push_back({ts + 500000, tcp_frame(dst, l, 0, 0x14, {})});
  }
  std::stable_sort(out.begin(), out.end(), [](const Frame& a, const Frame& b) { return a.ts_ns < b.ts_ns; });
  return out;
}

void write_pcap(const std::string& path, const std::vector<Frame>& frames) {
  PcapWriter w(path, link_ethernet);
  for (const auto& f : frames) w.write(f.ts_ns, f.data.data(), static_cast<uint32_t>(f.data.size()));
  w.close();
}

}  // namespace opskit::net::synth
