#pragma once
// Packet sources behind one interface: a zero-copy reader of pcap and pcapng
// files (mmapped; gzip streamed through zlib), the same files through
// libpcap, and live interfaces through libpcap. Both file paths must give
// identical packets (tests/net/test_source.cpp proves it on the shared captures).
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/packet.hpp"

namespace opskit::net {

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  // Next packet; false at the end (or on a corrupt file, counted in weirds()).
  virtual bool next(RawPacket& packet) = 0;
  virtual const Weirds& weirds() const = 0;
  virtual std::string name() const = 0;
  // True when a packet's bytes stay valid after later reads (an mmapped
  // file), so callers may work one packet ahead.
  virtual bool stable() const { return false; }
};

// Reads pcap (micro/nanosecond, either byte order) and pcapng (several
// sections and interfaces, per-interface link types, if_tsresol and
// if_tsoffset; EPB, SPB and the obsolete PB) from memory. The caller keeps
// `data` alive. Never reads out of bounds; a corrupt record ends the file
// with a counted weird.
//
// Streaming: with `more_may_follow`, a record running past the bytes given
// so far is not an error: next() returns false with starved() set, and the
// owner passes the unread bytes (from consumed()) plus more to refill().
class MemoryReader : public PacketSource {
 public:
  MemoryReader(const uint8_t* data, size_t size, std::string name = "<memory>", bool more_may_follow = false);
  bool next(RawPacket& packet) override;
  const Weirds& weirds() const override { return weirds_; }
  std::string name() const override { return name_; }
  bool valid() const { return format_ != Format::invalid; }
  bool starved() const { return starved_; }
  size_t consumed() const { return pos_; }
  void refill(const uint8_t* data, size_t size, bool more_may_follow);
  // The owner of a mapping that may be cut short under the reader (see
  // MappedFile) passes its flag: once set, bytes read may be zeros standing
  // in for pages the file no longer has, so any damage the reader finds is
  // counted as file_truncated and ends the file.
  void watch_cut(const std::atomic<bool>* flag) { cut_ = flag; }
  // When the flag is set: ends the file with file_truncated and returns true.
  bool stop_if_cut() {
    if (!cut()) return false;
    fail(Weird::file_truncated);
    return true;
  }

 private:
  enum class Format { invalid, pcap, pcapng };
  struct Interface {
    int linktype = 1;
    uint64_t units_per_second = 1000000;  // from if_tsresol
    int64_t offset_seconds = 0;           // if_tsoffset
  };
  bool next_pcap(RawPacket& packet);
  bool next_pcapng(RawPacket& packet);
  // Fewer than `need` bytes remain: starved when more may follow, else
  // the file ends here with `weird`. Always returns false.
  bool short_of(size_t need, Weird weird);
  void fail(Weird weird);
  // A damaged block that is skipped (or, once the file is cut, ends it).
  void damaged(Weird weird);
  bool cut() const { return cut_ && cut_->load(std::memory_order_relaxed); }
  bool read_section_header(size_t at, uint32_t block_len);
  void read_interface(const uint8_t* body, size_t len);
  void prefetch_ahead(const uint8_t* at, size_t len) const;
  uint16_t u16(const uint8_t* p) const;
  uint32_t u32(const uint8_t* p) const;

  const uint8_t* data_;
  size_t size_, pos_ = 0;
  std::string name_;
  Format format_ = Format::invalid;
  bool swap_ = false, nano_ = false;
  bool more_ = false, starved_ = false, done_ = false;
  int linktype_ = 1;
  std::vector<Interface> interfaces_;
  Weirds weirds_;
  const std::atomic<bool>* cut_ = nullptr;
};

// Opens a capture file ("-" = stdin): mmaps a regular uncompressed file;
// gzip (sniffed by its magic, not its extension), pipes and stdin are
// streamed through zlib in a window bounded by the largest record, so
// memory does not grow with the capture. Throws DataError when it cannot be
// opened or is not a capture file.
std::unique_ptr<PacketSource> open_capture_file(const std::string& path);

// The identity of a capture file for idempotent reruns (capture_id): 32 hex
// digits of SHA-256. A file up to 4 MiB is hashed whole (the same id as a
// whole-file hash); a larger one by its size, first and last MiB and 64
// evenly spaced 4 KiB blocks between. Hashing every byte of a large capture
// took as much CPU as decoding it; the sample still tells real captures
// apart (every record carries a timestamp). Path and mtime are left out so
// a copied or touched file keeps its id. Empty for stdin ("-") and pipes,
// which hashing would drain. Throws DataError when unreadable.
std::string capture_identity(const std::string& path);

// The same file through libpcap (nanosecond precision); gzip input is
// inflated on the fly as libpcap reads. Throws DataError on failure.
std::unique_ptr<PacketSource> open_capture_file_libpcap(const std::string& path);

struct LiveOptions {
  std::string interface;
  std::string filter;        // BPF
  int snaplen = 65535;
  bool promiscuous = true;
  int timeout_ms = 200;      // so --duration and alerts stay timely on quiet links
};
// A live capture. Throws UsageError (exit 2) without the capture privilege
// (CAP_NET_RAW), DataError for a bad filter, NetworkError for a bad interface.
// next() returns false only when stop() was called; a read timeout yields a
// packet with caplen 0 and data nullptr so callers can run their timers.
class LiveSource : public PacketSource {
 public:
  explicit LiveSource(const LiveOptions& options);
  ~LiveSource() override;
  bool next(RawPacket& packet) override;
  const Weirds& weirds() const override { return weirds_; }
  std::string name() const override { return name_; }
  void stop() { stopped_ = true; }
  void* handle() { return handle_; }

 private:
  void* handle_ = nullptr;
  std::string name_;
  int linktype_ = 1;
  bool stopped_ = false;
  Weirds weirds_;
};

// Writes classic pcap (microsecond) files: for --write-pcap, for tests and
// for the example generator.
class PcapWriter {
 public:
  explicit PcapWriter(std::string path, int linktype = link_ethernet, bool nanosecond = false);
  ~PcapWriter();
  void write(int64_t ts_ns, const uint8_t* data, uint32_t len, uint32_t wire_len = 0);
  uint64_t bytes_written() const { return bytes_; }
  void close();

 private:
  std::string path_;
  void* file_ = nullptr;
  bool nano_;
  uint64_t bytes_ = 0;
};

}  // namespace opskit::net
