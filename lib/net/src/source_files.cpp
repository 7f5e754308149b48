// Opening captures: mmap for plain files, zlib for gzip, libpcap for the
// portable path and live interfaces, and a small pcap writer.
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "libpcap.hpp"
#include "net/mapped_file.hpp"
#include "net/source.hpp"

namespace opskit::net {

namespace {

// Reads a capture from its mapping (see MappedFile for a file cut short
// while it is read).
class MappedReader : public PacketSource {
 public:
  MappedReader(const std::string& path, int fd, size_t size)
      : file_(fd, size, path), reader_(file_.data(), file_.size(), path) {
    reader_.watch_cut(file_.cut_flag());
    madvise(const_cast<uint8_t*>(file_.data()), size, MADV_SEQUENTIAL);
  }
  // A fault on a page the file no longer has (in the reader or, later, in
  // whoever reads the packet) leaves zeros and the mark; the next call ends
  // the file. Reading each packet's last byte here to fault before handing
  // it on would make that packet exact, but costs 2-3% of a run
  // (a stall on a line still on its way, once a page).
  bool next(RawPacket& p) override { return reader_.next(p) && !reader_.stop_if_cut(); }
  const Weirds& weirds() const override { return reader_.weirds(); }
  std::string name() const override { return reader_.name(); }
  bool stable() const override { return true; }
  bool valid() const { return reader_.valid(); }
  bool cut() const { return file_.cut(); }

 private:
  MappedFile file_;
  MemoryReader reader_;
};

// gzip files, pipes and stdin: zlib's gzread (which passes uncompressed
// bytes through unchanged) fills a window that keeps only the unread tail,
// so memory is bounded by the largest record, not by the capture.
class StreamReader : public PacketSource {
 public:
  StreamReader(const std::string& path, int fd) : path_(path) {
    gz_ = gzdopen(fd, "rb");
    if (!gz_) {
      ::close(fd);
      throw DataError(SourceLocation{path, 0, 0, ""}, "cannot start zlib");
    }
    gzbuffer(gz_, 1 << 17);
    while (!eof_ && len_ < kChunk) read_more();
    reader_ = std::make_unique<MemoryReader>(buf_.data(), len_, path, !eof_);
  }
  ~StreamReader() override {
    if (gz_) gzclose(gz_);
  }
  bool next(RawPacket& p) override {
    for (;;) {
      if (reader_->next(p)) return true;
      if (!reader_->starved()) return false;
      size_t keep = len_ - reader_->consumed();
      std::memmove(buf_.data(), buf_.data() + reader_->consumed(), keep);
      len_ = keep;
      read_more();
      reader_->refill(buf_.data(), len_, !eof_);
    }
  }
  const Weirds& weirds() const override { return reader_->weirds(); }
  std::string name() const override { return path_; }
  bool valid() const { return reader_->valid(); }

 private:
  static constexpr size_t kChunk = 1 << 18;
  void read_more() {
    if (buf_.size() < len_ + kChunk) buf_.resize(len_ + kChunk);  // grows only for a record larger than the window
    int n = gzread(gz_, buf_.data() + len_, static_cast<unsigned>(kChunk));
    if (n <= 0) eof_ = true;  // end, or a damaged stream: the reader counts the cut record
    else len_ += static_cast<size_t>(n);
  }
  std::string path_;
  gzFile gz_ = nullptr;
  std::vector<uint8_t> buf_;
  size_t len_ = 0;
  bool eof_ = false;
  std::unique_ptr<MemoryReader> reader_;
};

bool is_gzip(const void* p, size_t n) {
  auto* b = static_cast<const uint8_t*>(p);
  return n >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

int open_input(const std::string& path) {
  int fd = path == "-" ? ::dup(0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError(SourceLocation{path, 0, 0, ""}, std::string("cannot open: ") + std::strerror(errno));
  return fd;
}

}  // namespace

std::unique_ptr<PacketSource> open_capture_file(const std::string& path) {
  int fd = open_input(path);
  struct stat st {};
  if (path != "-" && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    uint8_t magic[2] = {0, 0};
    if (pread(fd, magic, 2, 0) == 2 && !is_gzip(magic, 2)) {
      auto reader = std::make_unique<MappedReader>(path, fd, static_cast<size_t>(st.st_size));  // closes fd
      if (!reader->valid())
        throw DataError(SourceLocation{path, 0, 0, "magic"},
                        reader->cut() ? "cut short while being opened" : "not a pcap or pcapng capture file");
      return reader;
    }
  }
  auto reader = std::make_unique<StreamReader>(path, fd);
  if (!reader->valid()) throw DataError(SourceLocation{path, 0, 0, "magic"}, "not a pcap or pcapng capture file");
  return reader;
}

namespace {

class LibpcapFileSource : public PacketSource {
 public:
  LibpcapFileSource(const std::string& path) : name_(path) {
    char err[PCAP_ERRBUF_SIZE] = {0};
    // libpcap reads through a stdio stream over gzread: gzip is inflated as it goes.
    gzFile gz = gzdopen(open_input(path), "rb");
    if (!gz) throw DataError(SourceLocation{path, 0, 0, ""}, "cannot start zlib");
    cookie_io_functions_t io{};
    io.read = [](void* c, char* buf, size_t n) -> ssize_t {
      int r = gzread(static_cast<gzFile>(c), buf, static_cast<unsigned>(std::min<size_t>(n, 1 << 30)));
      return r < 0 ? -1 : r;
    };
    io.close = [](void* c) { return gzclose(static_cast<gzFile>(c)) == Z_OK ? 0 : -1; };
    FILE* f = fopencookie(gz, "rb", io);
    if (!f) {
      gzclose(gz);
      throw DataError(SourceLocation{path, 0, 0, ""}, "cannot open");
    }
    handle_ = lib_.fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!handle_) {
      std::fclose(f);
      throw DataError(SourceLocation{path, 0, 0, "magic"}, std::string("libpcap: ") + err);
    }
  }
  ~LibpcapFileSource() override {
    if (handle_) lib_.close(handle_);
  }
  bool next(RawPacket& p) override {
    struct pcap_pkthdr* h;
    const u_char* d;
    int rc = lib_.next_ex(handle_, &h, &d);
    if (rc != 1) {
      if (rc == PCAP_ERROR) weirds_.add(Weird::file_truncated);
      return false;
    }
    p.ts_ns = static_cast<int64_t>(h->ts.tv_sec) * 1000000000 + h->ts.tv_usec;
    p.caplen = h->caplen;
    p.wire_len = h->len < h->caplen ? h->caplen : h->len;
    int dlt = lib_.datalink(handle_);
    p.linktype = dlt == DLT_RAW ? link_raw : dlt;  // libpcap reports DLT_RAW for LINKTYPE_RAW
    p.data = d;
    return true;
  }
  const Weirds& weirds() const override { return weirds_; }
  std::string name() const override { return name_; }

 private:
  const Libpcap& lib_ = libpcap();
  std::string name_;
  pcap_t* handle_ = nullptr;
  Weirds weirds_;
};

}  // namespace

std::string capture_identity(const std::string& path) {
  constexpr uint64_t kWhole = 4 << 20, kEdge = 1 << 20, kBlock = 4096, kBlocks = 64;
  struct stat st {};
  // A pipe would be drained by hashing it: no identity.
  if (path == "-" || (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))) return "";
  int fd = open_input(path);
  if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) <= kWhole) {
    ::close(fd);
    return sha256_file(path).substr(0, 32);
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  // The samples are hashed where they lie, in the mapped page cache: no
  // buffer to fault in and copy them into.
  MappedFile map(fd, size, path);  // closes fd
  const char* bytes = reinterpret_cast<const char*>(map.data());
  Sha256 h;
  auto take = [&](uint64_t at, uint64_t len) { h.update(std::string_view(bytes + at, len)); };
  h.update("opskit-capture-sample/1 size=" + std::to_string(size) + "\n");
  take(0, kEdge);
  uint64_t span = size - 2 * kEdge;
  for (uint64_t i = 0; i < kBlocks; ++i) take(kEdge + span * i / kBlocks, std::min(kBlock, span - span * i / kBlocks));
  take(size - kEdge, kEdge);
  if (map.cut()) throw DataError(SourceLocation{path, 0, 0, ""}, "cut short while being read");
  return h.hex().substr(0, 32);
}

std::unique_ptr<PacketSource> open_capture_file_libpcap(const std::string& path) {
  return std::make_unique<LibpcapFileSource>(path);
}

LiveSource::LiveSource(const LiveOptions& o) : name_(o.interface) {
  const Libpcap& pcap = libpcap();
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* h = pcap.create(o.interface.c_str(), err);
  if (!h) throw NetworkError("capture: cannot open interface '" + o.interface + "': " + err);
  pcap.set_snaplen(h, o.snaplen);
  pcap.set_promisc(h, o.promiscuous ? 1 : 0);
  pcap.set_timeout(h, o.timeout_ms);
  pcap.set_tstamp_precision(h, PCAP_TSTAMP_PRECISION_NANO);
  pcap.set_immediate_mode(h, 1);  // alerts must not wait for a full buffer
  int rc = pcap.activate(h);
  if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED) {
    pcap.close(h);
    throw UsageError("live capture on '" + o.interface +
                     "' needs the CAP_NET_RAW capability (run as root, or: setcap cap_net_raw,cap_net_admin=eip capture)");
  }
  if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
    pcap.close(h);
    throw UsageError("no such interface: '" + o.interface + "'");
  }
  if (rc < 0) {
    std::string msg = pcap.geterr(h);
    pcap.close(h);
    throw NetworkError("capture: cannot start capture on '" + o.interface + "': " + msg);
  }
  if (!o.filter.empty()) {
    struct bpf_program prog;
    if (pcap.compile(h, &prog, o.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      std::string msg = pcap.geterr(h);
      pcap.close(h);
      throw DataError(SourceLocation{"--filter", 0, 0, "filter"}, "bad BPF filter: " + msg);
    }
    pcap.setfilter(h, &prog);
    pcap.freecode(&prog);
  }
  linktype_ = pcap.datalink(h);
  handle_ = h;
}

LiveSource::~LiveSource() {
  if (handle_) libpcap().close(static_cast<pcap_t*>(handle_));
}

bool LiveSource::next(RawPacket& p) {
  if (stopped_) return false;
  const Libpcap& pcap = libpcap();
  // libpcap's read timeout does not fire on an idle Linux link (TPACKET_V3
  // waits for a first packet), so wait on the descriptor ourselves.
  int fd = pcap.get_selectable_fd(static_cast<pcap_t*>(handle_));
  if (fd >= 0) {
    struct pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) {
      p.caplen = 0;
      p.data = nullptr;
      return true;
    }
  }
  struct pcap_pkthdr* h;
  const u_char* d;
  int rc = pcap.next_ex(static_cast<pcap_t*>(handle_), &h, &d);
  if (rc == 0) {  // timeout: give the caller a chance to run timers
    p.caplen = 0;
    p.data = nullptr;
    return true;
  }
  if (rc != 1) return false;
  p.ts_ns = static_cast<int64_t>(h->ts.tv_sec) * 1000000000 + h->ts.tv_usec;
  p.caplen = h->caplen;
  p.wire_len = h->len;
  p.linktype = linktype_;
  p.data = d;
  return true;
}

PcapWriter::PcapWriter(std::string path, int linktype, bool nanosecond) : path_(std::move(path)), nano_(nanosecond) {
  FILE* f = std::fopen(path_.c_str(), "wb");
  if (!f) throw DataError(SourceLocation{path_, 0, 0, ""}, std::string("cannot write: ") + std::strerror(errno));
  uint32_t hdr[6] = {nano_ ? 0xa1b23c4du : 0xa1b2c3d4u, 0x00040002u, 0, 0, 262144, static_cast<uint32_t>(linktype)};
  std::fwrite(hdr, sizeof hdr, 1, f);
  bytes_ = sizeof hdr;
  file_ = f;
}

PcapWriter::~PcapWriter() { close(); }

void PcapWriter::write(int64_t ts_ns, const uint8_t* data, uint32_t len, uint32_t wire_len) {
  if (!file_) return;
  uint32_t rec[4] = {static_cast<uint32_t>(ts_ns / 1000000000),
                     static_cast<uint32_t>(nano_ ? ts_ns % 1000000000 : (ts_ns % 1000000000) / 1000), len,
                     wire_len ? wire_len : len};
  std::fwrite(rec, sizeof rec, 1, static_cast<FILE*>(file_));
  std::fwrite(data, 1, len, static_cast<FILE*>(file_));
  bytes_ += sizeof rec + len;
}

void PcapWriter::close() {
  if (file_) std::fclose(static_cast<FILE*>(file_));
  file_ = nullptr;
}

}  // namespace opskit::net
