// DNS extraction compared field by field with tshark (time, addresses,
// id, query name, type, rcode, answer count, A/AAAA answers) on every DNS
// message of every capture in ../shared/data/pcap. Skips without tshark or
// the shared data.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/text.hpp"
#include "net/decode.hpp"
#include "net/dns_stream.hpp"
#include "net/source.hpp"
#include "test_paths.hpp"

using namespace opskit::net;
namespace fs = std::filesystem;

namespace {

struct FrameDns {
  std::string time, src, dst, response, id, names, types, rcodes, answers, a, aaaa;
};

// Lists are joined with '|' (tshark's -E aggregator=|): names may hold commas.
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "|") + x;
  return s;
}

// tshark prints printable bytes as themselves, control bytes as \ooo and
// other bytes as UTF-8 where they form it, else U+FFFD; our names use
// RFC 1035 \DDD escapes. Both sides are brought to one form: ASCII as is,
// control bytes as \ooo, any run of non-ASCII as a single '?'.
std::string canonical(const std::string& name, bool ours) {
  std::string out;
  bool in_high = false;
  for (size_t i = 0; i < name.size(); ++i) {
    int v = static_cast<unsigned char>(name[i]);
    if (ours && name[i] == '\\' && i + 3 < name.size() + 0 && std::isdigit(static_cast<unsigned char>(name[i + 1]))) {
      v = std::stoi(name.substr(i + 1, 3));
      i += 3;
    } else if (!ours && name[i] == '\\' && i + 3 < name.size() && std::isdigit(static_cast<unsigned char>(name[i + 1]))) {
      v = std::stoi(name.substr(i + 1, 3), nullptr, 8);
      i += 3;
    }
    if (v >= 0x7f) {
      if (!in_high) out.push_back('?');
      in_high = true;
      continue;
    }
    in_high = false;
    if (v < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", v);
      out += buf;
    } else out.push_back(static_cast<char>(v));
  }
  return out.empty() ? "<Root>" : out;
}

std::map<long, FrameDns> ours(const std::string& path) {
  std::map<long, FrameDns> out;
  auto src = open_capture_file(path);
  Decoder dec;
  Decoded d;
  RawPacket raw;
  Weirds w;
  long frame = 0;
  std::map<long, std::vector<std::vector<std::string>>> cols;
  DnsStreams ds([&](const DnsPacketInfo& i, const DnsMessage& m) {
    auto& c = cols[frame];
    if (c.empty()) c.resize(9);
    char t[40];
    std::snprintf(t, sizeof t, "%lld.%09lld", static_cast<long long>(i.ts_ns / 1000000000),
                  static_cast<long long>(i.ts_ns % 1000000000));
    FrameDns& f = out[frame];
    f.time = t;
    f.src = i.src.str();
    f.dst = i.dst.str();
    c[0].push_back(m.response ? "1" : "0");
    c[1].push_back(std::to_string(m.id));
    for (const auto& [name, type] : m.questions) {
      c[2].push_back(canonical(name, true));
      c[3].push_back(std::to_string(type));
    }
    if (m.response) c[4].push_back(std::to_string(m.rcode & 0xf));
    c[5].push_back(std::to_string(m.ancount));
    for (const auto* sec : {&m.answers, &m.authority, &m.additional})
      for (const auto& rr : *sec) {
        if (rr.type == 1 && rr.rdlength == 4) c[6].push_back(rr.data);
        if (rr.type == 28 && rr.rdlength == 16) c[7].push_back(rr.data);
      }
  });
  while (src->next(raw)) {
    ++frame;
    if (dec.decode(raw, d)) ds.packet(d, w);
  }
  for (auto& [fr, c] : cols) {
    FrameDns& f = out[fr];
    f.response = join(c[0]);
    f.id = join(c[1]);
    f.names = join(c[2]);
    f.types = join(c[3]);
    f.rcodes = join(c[4]);
    f.answers = join(c[5]);
    f.a = join(c[6]);
    f.aaaa = join(c[7]);
  }
  return out;
}

std::string last_of(const std::string& list) {
  auto pos = list.rfind('|');
  return pos == std::string::npos ? list : list.substr(pos + 1);
}

std::map<long, FrameDns> theirs(const std::string& path) {
  std::map<long, FrameDns> out;
  std::string cmd = "tshark -n -r '" + path +
                    "' -Y '(dns || mdns || llmnr) && !icmp && !icmpv6' -T fields -E separator=/t -E aggregator='|' -e frame.number -e frame.time_epoch "
                    "-e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e dns.flags.response -e dns.id -e dns.qry.name "
                    "-e dns.qry.type -e dns.flags.rcode -e dns.count.answers -e dns.a -e dns.aaaa 2>/dev/null";
  auto r = opskit::test::run_command(cmd);
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    size_t start = 0;
    for (;;) {
      size_t tab = line.find('\t', start);
      f.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (f.size() < 14) continue;
    FrameDns d;
    d.time = f[1];
    d.src = !f[4].empty() ? last_of(f[4]) : last_of(f[2]);
    d.dst = !f[5].empty() ? last_of(f[5]) : last_of(f[3]);
    d.response = f[6];
    // tshark prints ids as 0x1234
    std::string ids;
    for (auto& id : opskit::text::split(f[7], '|')) ids += (ids.empty() ? "" : "|") + std::to_string(std::stoul(id, nullptr, 16));
    d.id = ids;
    std::string names;
    if (!f[8].empty())
      for (auto& n : opskit::text::split(f[8], '|')) names += (names.empty() ? "" : "|") + (n == "<Root>" ? n : canonical(n, false));
    d.names = names;
    d.types = f[9];
    d.rcodes = f[10];
    d.answers = f[11];
    d.a = f[12];
    d.aaaa = f[13];
    out[std::stol(f[0])] = d;
  }
  return out;
}

}  // namespace

TEST_CASE("tshark: DNS extraction agrees field by field on every shared capture", "[net][tshark][shared]") {
  std::string base = opskit::test::shared_data("pcap");
  if (base.empty()) {
    WARN("../shared/data/pcap not found: skipping the tshark comparison");
    return;
  }
  if (opskit::test::run_command("command -v tshark").exit_code != 0) {
    WARN("tshark not installed (make deps installs it): skipping the tshark comparison");
    return;
  }
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(base))
    if (e.is_regular_file() && e.path().string().find(".pcap") != std::string::npos &&
        e.path().string().find("/bulk/") == std::string::npos)
      files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  // malformed/ holds hostile messages where tshark and we legitimately part
  // ways (tshark reads past a too-long question name, keeps partial TCP
  // messages, shows a looping name as text); they are reported, and bounded.
  size_t frames = 0, mismatches = 0, malformed_mismatches = 0;
  std::ostringstream report;
  for (const auto& path : files) {
    auto a = ours(path);
    auto b = theirs(path);
    for (const auto& [fr, t] : b) {
      ++frames;
      auto it = a.find(fr);
      if (it == a.end()) {
        ++(path.find("/malformed/") != std::string::npos ? malformed_mismatches : mismatches);
        report << path << " frame " << fr << ": tshark sees DNS (" << t.names << "), we do not\n";
        continue;
      }
      const FrameDns& o = it->second;
      bool hostile = path.find("/malformed/") != std::string::npos;
      auto cmp = [&](const char* field, const std::string& x, const std::string& y) {
        if (x == y) return;
        ++(hostile ? malformed_mismatches : mismatches);
        report << path << " frame " << fr << " " << field << ": ours '" << x << "' tshark '" << y << "'\n";
      };
      cmp("time", o.time, t.time);
      cmp("src", o.src, t.src);
      cmp("dst", o.dst, t.dst);
      cmp("response", o.response, t.response);
      cmp("id", o.id, t.id);
      cmp("qname", o.names, t.names);
      cmp("qtype", o.types, t.types);
      cmp("rcode", o.rcodes, t.rcodes);
      cmp("answers", o.answers, t.answers);
      cmp("a", o.a, t.a);
      cmp("aaaa", o.aaaa, t.aaaa);
    }
    for (const auto& [fr, o] : a)
      if (!b.count(fr)) {
        ++(path.find("/malformed/") != std::string::npos ? malformed_mismatches : mismatches);
        report << path << " frame " << fr << ": we see DNS (" << o.names << "), tshark does not\n";
      }
  }
  if (const char* out = std::getenv("OPSKIT_TSHARK_REPORT")) std::ofstream(out) << report.str();
  INFO(report.str());
  CHECK(frames > 20000);
  CHECK(mismatches == 0);
  CHECK(malformed_mismatches <= 25);
}
