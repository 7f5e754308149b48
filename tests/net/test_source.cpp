// File readers: pcap in both byte orders and resolutions, pcapng with
// several interfaces, gzip, corrupt files, and the mmap reader against
// libpcap on every shared capture.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "net/mapped_file.hpp"
#include "net/source.hpp"
#include "net/synth.hpp"
#include "test_paths.hpp"

using namespace opskit::net;
namespace fs = std::filesystem;

namespace {
std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
void spit(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
void le32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}
void le16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v));
  s.push_back(static_cast<char>(v >> 8));
}
void be32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>(v >> (8 * i)));
}
std::vector<RawPacket> read_all(PacketSource& s, std::vector<std::string>* bytes = nullptr) {
  std::vector<RawPacket> out;
  RawPacket p;
  while (s.next(p)) {
    out.push_back(p);
    if (bytes) bytes->emplace_back(reinterpret_cast<const char*>(p.data), p.caplen);
  }
  return out;
}
}  // namespace

TEST_CASE("source: pcap micro/nanosecond, little/big endian", "[net][source]") {
  std::string dir = opskit::test::temp_dir("net_src");
  auto frame = synth::udp_frame({{2, 0, 0, 0, 0, 1}, 0x0a000001, 1234}, {{2, 0, 0, 0, 0, 2}, 0x0a000002, 53},
                                synth::dns_query(1, "a.example", 1));
  for (bool nano : {false, true}) {
    std::string path = dir + (nano ? "/n.pcap" : "/u.pcap");
    {
      PcapWriter w(path, link_ethernet, nano);
      w.write(1700000000123456789LL, frame.data(), static_cast<uint32_t>(frame.size()));
    }
    auto src = open_capture_file(path);
    auto pk = read_all(*src);
    REQUIRE(pk.size() == 1);
    CHECK(pk[0].ts_ns == (nano ? 1700000000123456789LL : 1700000000123456000LL));
    CHECK(pk[0].caplen == frame.size());
  }
  // Big-endian, microseconds, hand-written.
  std::string be;
  be32(be, 0xa1b2c3d4);
  be += std::string("\x00\x02\x00\x04", 4);
  be32(be, 0);
  be32(be, 0);
  be32(be, 65535);
  be32(be, 1);
  be32(be, 1000);
  be32(be, 5);
  be32(be, static_cast<uint32_t>(frame.size()));
  be32(be, static_cast<uint32_t>(frame.size()));
  be.append(reinterpret_cast<const char*>(frame.data()), frame.size());
  spit(dir + "/be.pcap", be);
  auto src = open_capture_file(dir + "/be.pcap");
  auto pk = read_all(*src);
  REQUIRE(pk.size() == 1);
  CHECK(pk[0].ts_ns == 1000LL * 1000000000 + 5000);
  CHECK(pk[0].linktype == 1);
}

TEST_CASE("source: pcapng with two interfaces, link types and resolutions - gzip", "[net][source]") {
  std::string dir = opskit::test::temp_dir("net_png");
  std::string f;
  // SHB
  le32(f, 0x0A0D0D0A);
  le32(f, 28);
  le32(f, 0x1A2B3C4D);
  le16(f, 1);
  le16(f, 0);
  le32(f, 0xffffffff);
  le32(f, 0xffffffff);
  le32(f, 28);
  // IDB 0: Ethernet, default microseconds
  le32(f, 1);
  le32(f, 20);
  le16(f, 1);
  le16(f, 0);
  le32(f, 65535);
  le32(f, 20);
  // IDB 1: raw IP, if_tsresol = 9 (nanoseconds)
  le32(f, 1);
  le32(f, 32);
  le16(f, 101);
  le16(f, 0);
  le32(f, 65535);
  le16(f, 9);
  le16(f, 1);
  f += std::string("\x09\x00\x00\x00", 4);
  le16(f, 0);
  le16(f, 0);
  le32(f, 32);
  auto epb = [&](uint32_t ifid, uint64_t ts, const std::string& data) {
    uint32_t padded = static_cast<uint32_t>((data.size() + 3) & ~size_t(3));
    le32(f, 6);
    le32(f, 32 + padded);
    le32(f, ifid);
    le32(f, static_cast<uint32_t>(ts >> 32));
    le32(f, static_cast<uint32_t>(ts));
    le32(f, static_cast<uint32_t>(data.size()));
    le32(f, static_cast<uint32_t>(data.size()));
    f += data;
    f.append(padded - data.size(), '\0');
    le32(f, 32 + padded);
  };
  epb(0, 1700000000ull * 1000000 + 42, std::string(60, 'e'));
  epb(1, 1700000000ull * 1000000000 + 43, std::string("\x45", 1) + std::string(27, '\0'));
  spit(dir + "/multi.pcapng", f);
  auto src = open_capture_file(dir + "/multi.pcapng");
  auto pk = read_all(*src);
  REQUIRE(pk.size() == 2);
  CHECK(pk[0].linktype == 1);
  CHECK(pk[0].ts_ns == 1700000000LL * 1000000000 + 42000);
  CHECK(pk[1].linktype == 101);
  CHECK(pk[1].ts_ns == 1700000000LL * 1000000000 + 43);
  CHECK(src->weirds().total() == 0);
  // The same bytes gzip-compressed, named .pcap: sniffed, not trusted by extension.
  gzFile gz = gzopen((dir + "/multi.pcap").c_str(), "wb");
  gzwrite(gz, f.data(), static_cast<unsigned>(f.size()));
  gzclose(gz);
  auto gsrc = open_capture_file(dir + "/multi.pcap");
  CHECK(read_all(*gsrc).size() == 2);
}

TEST_CASE("source: truncated and corrupt files end with a counted anomaly", "[net][source]") {
  std::string dir = opskit::test::temp_dir("net_bad");
  auto frames = synth::example_scenario(1, 1700000000);
  synth::write_pcap(dir + "/ok.pcap", frames);
  std::string bytes = slurp(dir + "/ok.pcap");
  spit(dir + "/cut.pcap", bytes.substr(0, bytes.size() - 7));
  auto src = open_capture_file(dir + "/cut.pcap");
  CHECK(read_all(*src).size() == frames.size() - 1);
  CHECK(src->weirds().get(Weird::file_truncated) == 1);
  std::string huge = bytes.substr(0, 24);
  le32(huge, 1);
  le32(huge, 0);
  le32(huge, 0x7fffffff);
  le32(huge, 0x7fffffff);
  spit(dir + "/huge.pcap", huge);
  auto h = open_capture_file(dir + "/huge.pcap");
  CHECK(read_all(*h).empty());
  CHECK(h->weirds().get(Weird::record_too_large) == 1);
  spit(dir + "/text.pcap", "hello, this is not a capture file");
  CHECK_THROWS_AS(open_capture_file(dir + "/text.pcap"), opskit::DataError);
  CHECK_THROWS_AS(open_capture_file(dir + "/missing.pcap"), opskit::DataError);
}

TEST_CASE("source: the zero-copy reader and libpcap give identical packets on every shared capture", "[net][source][shared]") {
  std::string base = opskit::test::shared_data("pcap");
  if (base.empty()) {
    WARN("../shared/data/pcap not found: skipping the reader comparison");
    return;
  }
  size_t files = 0, packets = 0;
  for (const auto& e : fs::recursive_directory_iterator(base)) {
    std::string p = e.path().string();
    if (!e.is_regular_file() || p.find(".pcap") == std::string::npos) continue;
    std::unique_ptr<PacketSource> lp;
    try {
      lp = open_capture_file_libpcap(p);
    } catch (const opskit::DataError&) {
      continue;  // libpcap refuses some pcapng files (mixed link types); ours reads them
    }
    auto ours = open_capture_file(p);
    std::vector<std::string> a_bytes, b_bytes;
    auto a = read_all(*ours, &a_bytes);
    auto b = read_all(*lp, &b_bytes);
    INFO(p);
    // libpcap stops with an error on pcapng files whose interfaces differ in
    // link type; up to there both must agree.
    if (lp->weirds().total()) REQUIRE(a.size() >= b.size());
    else REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < b.size(); ++i) {
      INFO("packet " << i + 1);
      REQUIRE(a[i].ts_ns == b[i].ts_ns);
      REQUIRE(a[i].caplen == b[i].caplen);
      REQUIRE(a[i].linktype == b[i].linktype);
      REQUIRE(a_bytes[i] == b_bytes[i]);
    }
    ++files;
    packets += a.size();
  }
  CHECK(files > 50);
  CHECK(packets > 100000);
}

namespace {
long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}
}  // namespace

TEST_CASE("source: gzip is streamed: memory stays bounded on a large compressed capture", "[net][source]") {
  std::string dir = opskit::test::temp_dir("net_gz_big");
  std::string path = dir + "/big.pcap.gz";
  // 1,500,000 packets of 200 bytes: about 324 MB inflated, a few MB compressed.
  const uint32_t packets = 1500000, len = 200;
  {
    gzFile gz = gzopen(path.c_str(), "wb1");
    REQUIRE(gz);
    std::string hdr;
    le32(hdr, 0xa1b2c3d4);
    le16(hdr, 2);
    le16(hdr, 4);
    le32(hdr, 0);
    le32(hdr, 0);
    le32(hdr, 65535);
    le32(hdr, 1);
    gzwrite(gz, hdr.data(), static_cast<unsigned>(hdr.size()));
    std::string rec;
    le32(rec, 1700000000);
    le32(rec, 0);
    le32(rec, len);
    le32(rec, len);
    rec.append(len, '\xab');
    std::string block;
    for (int i = 0; i < 1000; ++i) block += rec;
    for (uint32_t i = 0; i < packets / 1000; ++i) gzwrite(gz, block.data(), static_cast<unsigned>(block.size()));
    gzclose(gz);
  }
  long before = rss_kb();
  auto src = open_capture_file(path);
  RawPacket p;
  uint64_t n = 0, bytes = 0;
  while (src->next(p)) {
    ++n;
    bytes += p.caplen;
  }
  long after = rss_kb();  // the source is still open: its window is counted
  CHECK(n == packets);
  CHECK(bytes == uint64_t(packets) * len);
  CHECK(src->weirds().total() == 0);
  INFO("RSS before " << before << " kB, after " << after << " kB");
  CHECK(after - before < 32 * 1024);  // reading it whole would take over 300 MB
  // libpcap's path streams too and agrees.
  auto lp = open_capture_file_libpcap(path);
  uint64_t m = 0;
  while (lp->next(p)) ++m;
  CHECK(m == packets);
}

TEST_CASE("source: a truncated gzip stream ends with a counted anomaly", "[net][source]") {
  std::string dir = opskit::test::temp_dir("net_gz_cut");
  std::string plain = dir + "/p.pcap";
  {
    opskit::net::PcapWriter w(plain);
    std::vector<uint8_t> frame(300);
    for (int i = 0; i < 2000; ++i) {
      for (size_t j = 0; j < frame.size(); ++j) frame[j] = static_cast<uint8_t>(i * 31 + j * 7 + (i * j >> 3));
      w.write(1700000000000000000 + int64_t(i) * 1000, frame.data(), 300);
    }
  }
  std::string data = slurp(plain);
  gzFile gz = gzopen((dir + "/c.pcap.gz").c_str(), "wb");
  gzwrite(gz, data.data(), static_cast<unsigned>(data.size()));
  gzclose(gz);
  std::string z = slurp(dir + "/c.pcap.gz");
  spit(dir + "/c.pcap.gz", z.substr(0, z.size() / 2));
  auto src = open_capture_file(dir + "/c.pcap.gz");
  auto got = read_all(*src);
  CHECK(got.size() > 0);
  CHECK(got.size() < 2000);
  CHECK(src->weirds().get(Weird::file_truncated) == 1);
}

TEST_CASE("source: capture identity: whole-file hash when small, sampled when large, kept by a copy", "[net][source]") {
  fs::path dir = fs::temp_directory_path() / ("opskit_net_identity_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string small = "small capture bytes";
  spit((dir / "small").string(), small);
  CHECK(capture_identity((dir / "small").string()) == opskit::sha256_hex(small).substr(0, 32));
  // 6 MiB: first and last MiB, 64 blocks between, and the size are what count.
  std::string big(6u << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  spit((dir / "big").string(), big);
  std::string id = capture_identity((dir / "big").string());
  CHECK(id.size() == 32);
  fs::copy_file(dir / "big", dir / "copy");
  CHECK(capture_identity((dir / "copy").string()) == id);
  for (size_t at : {size_t(0), big.size() - 1, size_t(1u << 20) /* first sampled block */}) {
    std::string changed = big;
    changed[at] = static_cast<char>(changed[at] ^ 1);
    spit((dir / "changed").string(), changed);
    CHECK(capture_identity((dir / "changed").string()) != id);
  }
  spit((dir / "longer").string(), big + "x");
  CHECK(capture_identity((dir / "longer").string()) != id);
  CHECK(capture_identity("-").empty());
  CHECK_THROWS_AS(capture_identity((dir / "missing").string()), opskit::DataError);
  fs::remove_all(dir);
}

namespace {
// The frames as a pcapng file: one section, one Ethernet interface, an
// enhanced packet block per frame.
std::string pcapng_of(const std::vector<synth::Frame>& frames) {
  std::string f;
  for (uint32_t v : {0x0A0D0D0Au, 28u, 0x1A2B3C4Du, 1u, 0xffffffffu, 0xffffffffu, 28u}) le32(f, v);  // SHB, version 1.0
  for (uint32_t v : {1u, 20u, 1u, 65535u, 20u}) le32(f, v);  // IDB: Ethernet, microseconds
  for (const auto& fr : frames) {
    uint32_t padded = static_cast<uint32_t>((fr.data.size() + 3) & ~size_t(3));
    uint64_t ts = static_cast<uint64_t>(fr.ts_ns / 1000);
    for (uint32_t v : {6u, 32 + padded, 0u, static_cast<uint32_t>(ts >> 32), static_cast<uint32_t>(ts),
                       static_cast<uint32_t>(fr.data.size()), static_cast<uint32_t>(fr.data.size())})
      le32(f, v);
    f.append(fr.data.begin(), fr.data.end());
    f.append(padded - fr.data.size(), '\0');
    le32(f, 32 + padded);
  }
  return f;
}
}  // namespace

// A writer truncating a capture (a log rotation) under a reader that has it
// mapped: the pages past the new end are gone, and reading one raises
// SIGBUS. The reader must end the file at the cut with one file_truncated,
// having handed out the records that lie wholly before it, and at most the
// one the cut falls in (its bytes past the cut read as zeros).
TEST_CASE("source: a file cut short while it is read ends at the cut with a counted anomaly, not SIGBUS", "[net][source]") {
  std::string dir = opskit::test::temp_dir("net_cut_live");
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<synth::Frame> frames;
  for (uint64_t seed = 1; frames.size() < 2000; ++seed) {
    auto more = synth::example_scenario(seed, 1700000000);
    frames.insert(frames.end(), more.begin(), more.end());
  }
  synth::write_pcap(dir + "/live.pcap", frames);
  spit(dir + "/live.pcapng", pcapng_of(frames));
  for (const char* name : {"live.pcap", "live.pcapng"}) {
    INFO(name);
    std::string path = dir + "/" + name;
    std::string bytes = slurp(path);
    const size_t cut_at = 4 * page;  // on a page boundary: bytes after a cut inside a page read as zeros, no fault
    REQUIRE(bytes.size() > 3 * cut_at);
    MemoryReader whole_records(reinterpret_cast<const uint8_t*>(bytes.data()), cut_at, "reference");
    size_t expected = read_all(whole_records).size();
    auto src = open_capture_file(path);
    RawPacket first;
    REQUIRE(src->next(first));
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(cut_at)) == 0);
    std::vector<std::string> rest;
    size_t got = 1 + read_all(*src, &rest).size();
    CHECK((got == expected || got == expected + 1));
    CHECK(src->weirds().get(Weird::file_truncated) == 1);
    CHECK(src->weirds().total() == 1);
    // The records before the cut are the file's own bytes.
    RawPacket ref;
    MemoryReader again(reinterpret_cast<const uint8_t*>(bytes.data()), cut_at, "reference");
    again.next(ref);
    for (size_t i = 0; i + 1 < expected && i < rest.size(); ++i) {
      REQUIRE(again.next(ref));
      CHECK(rest[i] == std::string(reinterpret_cast<const char*>(ref.data), ref.caplen));
    }
  }
  // Cut to nothing, the way copytruncate rotates a log: the sampled
  // identity of a large capture refuses to name bytes it could not read.
  std::string big_path = dir + "/big.pcap";
  std::string big(6u << 20, 'x');
  spit(big_path, big);
  {
    int fd = ::open(big_path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    MappedFile mapped(fd, big.size(), big_path);
    CHECK(mapped.data()[page] == 'x');
    CHECK_FALSE(mapped.cut());
    REQUIRE(::truncate(big_path.c_str(), 0) == 0);
    CHECK(mapped.data()[page] == 0);
    CHECK(mapped.cut());
  }
}

// The handler takes only faults inside a MappedFile: any other SIGBUS still
// ends the process, as it would without the handler.
TEST_CASE("source: a SIGBUS outside a guarded mapping is not swallowed", "[net][source]") {
  std::string dir = opskit::test::temp_dir("net_sigbus_other");
  std::string guarded = dir + "/guarded", other = dir + "/other";
  spit(guarded, std::string(8192, 'g'));
  spit(other, std::string(8192, 'o'));
  int gfd = ::open(guarded.c_str(), O_RDONLY);
  REQUIRE(gfd >= 0);
  MappedFile mapped(gfd, 8192, guarded);  // installs the handler; closes gfd
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int fd = ::open(other.c_str(), O_RDONLY);
    auto* raw = static_cast<const volatile char*>(mmap(nullptr, 8192, PROT_READ, MAP_PRIVATE, fd, 0));
    if (::truncate(other.c_str(), 0) != 0) _exit(3);
    char c = raw[4096];  // no file behind this page: SIGBUS
    _exit(c == 0 ? 0 : 4);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  // Killed by the signal (or, under a sanitizer, reported by its handler): never a clean exit.
  CHECK_FALSE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK((WIFSIGNALED(status) ? WTERMSIG(status) == SIGBUS : WEXITSTATUS(status) != 3));
}
