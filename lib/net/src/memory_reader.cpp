// Zero-copy pcap / pcapng parsing over a byte range. Every length read from
// the file is checked against what remains before it is used.
#include <algorithm>
#include <cstring>

#include "net/flat_map.hpp"
#include "net/source.hpp"

namespace opskit::net {

namespace {
constexpr uint32_t kMaxRecord = 256 * 1024;  // larger than any real snaplen
constexpr uint32_t kMaxStreamBlock = 16 * 1024 * 1024;  // largest pcapng block a stream may buffer
inline uint16_t bswap16(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }
inline uint32_t bswap32(uint32_t v) { return __builtin_bswap32(v); }
inline uint32_t load32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint16_t load16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
constexpr size_t kPrefetchAhead = 1024;  // bytes: a dozen small packets, a couple of large ones
constexpr size_t kLine = 64;
}  // namespace

void MemoryReader::prefetch_ahead(const uint8_t* at, size_t len) const {
  // The lines of a record's length, a window ahead: each record's header
  // depends on the one before, so a line left to the hardware prefetcher
  // (which stops at every 4 KiB page of the mapping) is a stall per record.
  // Only addresses inside the bytes (a pointer past the end is undefined).
  size_t from = static_cast<size_t>(at - data_) + kPrefetchAhead;
  size_t until = std::min(from + len, size_);
  for (; from < until; from += kLine) prefetch_line(data_ + from);
}

uint16_t MemoryReader::u16(const uint8_t* p) const { return swap_ ? bswap16(load16(p)) : load16(p); }
uint32_t MemoryReader::u32(const uint8_t* p) const { return swap_ ? bswap32(load32(p)) : load32(p); }

MemoryReader::MemoryReader(const uint8_t* data, size_t size, std::string name, bool more_may_follow)
    : data_(data), size_(size), name_(std::move(name)), more_(more_may_follow) {
  if (size_ < 4) {
    weirds_.add(Weird::file_bad_header);
    return;
  }
  uint32_t magic = load32(data_);
  if (magic == 0x0A0D0D0A) {
    format_ = Format::pcapng;
    pos_ = 0;
    return;
  }
  if (size_ < 24) {
    weirds_.add(Weird::file_bad_header);
    return;
  }
  switch (magic) {
    case 0xa1b2c3d4: swap_ = false; nano_ = false; break;
    case 0xa1b23c4d: swap_ = false; nano_ = true; break;
    case 0xd4c3b2a1: swap_ = true; nano_ = false; break;
    case 0x4d3cb2a1: swap_ = true; nano_ = true; break;
    default: weirds_.add(Weird::file_bad_header); return;
  }
  linktype_ = static_cast<int>(u32(data_ + 20) & 0x0FFFFFFF);
  format_ = Format::pcap;
  pos_ = 24;
}

void MemoryReader::refill(const uint8_t* data, size_t size, bool more_may_follow) {
  data_ = data;
  size_ = size;
  pos_ = 0;
  more_ = more_may_follow;
  starved_ = false;
}

void MemoryReader::fail(Weird weird) {
  weirds_.add(cut() ? Weird::file_truncated : weird);
  pos_ = size_;
  done_ = true;
}

void MemoryReader::damaged(Weird weird) {
  if (cut()) fail(weird);
  else weirds_.add(weird);
}

bool MemoryReader::short_of(size_t need, Weird weird) {
  if (more_) starved_ = true;
  else if (need) fail(weird);
  return false;
}

bool MemoryReader::next(RawPacket& packet) {
  if (done_) return false;
  starved_ = false;
  if (format_ == Format::pcap) return next_pcap(packet);
  if (format_ == Format::pcapng) return next_pcapng(packet);
  return false;
}

bool MemoryReader::next_pcap(RawPacket& p) {
  if (pos_ == size_) return short_of(0, Weird::file_truncated);
  if (size_ - pos_ < 16) return short_of(16, Weird::file_truncated);
  const uint8_t* h = data_ + pos_;
  uint32_t sec = u32(h), frac = u32(h + 4), incl = u32(h + 8), orig = u32(h + 12);
  if (incl > kMaxRecord) {
    fail(Weird::record_too_large);
    return false;
  }
  if (size_ - pos_ - 16 < incl) return short_of(16 + incl, Weird::file_truncated);
  // The records ahead are read next: start loading them (the hardware
  // prefetcher stops at every 4 KiB page of the mapping).
  prefetch_ahead(h, 16 + incl);
  p.ts_ns = static_cast<int64_t>(sec) * 1000000000 + (nano_ ? frac : static_cast<int64_t>(frac) * 1000);
  p.caplen = incl;
  p.wire_len = orig < incl ? incl : orig;
  p.linktype = linktype_;
  p.data = h + 16;
  pos_ += 16 + incl;
  return true;
}

bool MemoryReader::read_section_header(size_t at, uint32_t block_len) {
  // Byte-order magic decides how the rest of the section is read.
  uint32_t bom = load32(data_ + at + 8);
  if (bom == 0x1A2B3C4D) swap_ = false;
  else if (bom == 0x4D3C2B1A) swap_ = true;
  else return false;
  interfaces_.clear();
  return true;
}

void MemoryReader::read_interface(const uint8_t* body, size_t len) {
  Interface itf;
  if (len < 8) {
    damaged(Weird::file_bad_block);
    interfaces_.push_back(itf);
    return;
  }
  itf.linktype = u16(body);
  size_t at = 8;
  while (at + 4 <= len) {
    uint16_t code = u16(body + at), olen = u16(body + at + 2);
    at += 4;
    if (code == 0 || at + olen > len) break;
    if (code == 9 && olen >= 1) {  // if_tsresol
      uint8_t r = body[at];
      uint64_t units = 1;
      if (r & 0x80) {
        int e = r & 0x7f;
        units = e < 63 ? (uint64_t(1) << e) : 0;
      } else {
        for (int i = 0; i < (r & 0x7f) && units; ++i) units = units > UINT64_MAX / 10 ? 0 : units * 10;
      }
      if (units) itf.units_per_second = units;
    } else if (code == 14 && olen >= 8) {  // if_tsoffset
      uint64_t v = swap_ ? (uint64_t(u32(body + at)) << 32 | u32(body + at + 4))
                         : (uint64_t(u32(body + at + 4)) << 32 | u32(body + at));
      itf.offset_seconds = static_cast<int64_t>(v);
    }
    at += (olen + 3u) & ~3u;
  }
  interfaces_.push_back(itf);
}

bool MemoryReader::next_pcapng(RawPacket& p) {
  for (;;) {
    if (pos_ == size_) return short_of(0, Weird::file_truncated);
    if (size_ - pos_ < 12) return short_of(12, Weird::file_truncated);
    const uint8_t* b = data_ + pos_;
    uint32_t type = load32(b);
    if (type == 0x0A0D0D0A) {
      if (!read_section_header(pos_, 0)) {
        fail(Weird::file_bad_block);
        return false;
      }
    }
    uint32_t block_len = u32(b + 4);
    type = u32(b);
    if (block_len < 12 || (block_len & 3)) {
      fail(Weird::file_bad_block);
      return false;
    }
    if (block_len > size_ - pos_) {
      if (more_ && block_len > kMaxStreamBlock) {
        fail(Weird::record_too_large);
        return false;
      }
      return short_of(block_len, Weird::file_truncated);
    }
    const uint8_t* body = b + 8;
    size_t body_len = block_len - 12;
    pos_ += block_len;
    prefetch_ahead(b, block_len);
    if (type == 1) {
      read_interface(body, body_len);
    } else if (type == 6 || type == 2) {  // enhanced / obsolete packet block
      if (body_len < 20) {
        damaged(Weird::file_bad_block);
        continue;
      }
      uint32_t ifid = type == 6 ? u32(body) : u16(body);
      uint64_t ts = (uint64_t(u32(body + 4)) << 32) | u32(body + 8);
      uint32_t incl = u32(body + 12), orig = u32(body + 16);
      if (ifid >= interfaces_.size() || incl > body_len - 20 || incl > kMaxRecord) {
        damaged(incl > kMaxRecord ? Weird::record_too_large : Weird::file_bad_block);
        continue;
      }
      const Interface& itf = interfaces_[ifid];
      uint64_t units = itf.units_per_second;
      uint64_t secs, rem;
      int64_t frac_ns;
      // The usual resolutions divide by a constant (a multiply), not a
      // 64-bit division by a variable; the same numbers either way.
      if (units == 1000000) {
        secs = ts / 1000000;
        rem = ts % 1000000;
        frac_ns = static_cast<int64_t>(rem * 1000);
      } else if (units == 1000000000) {
        secs = ts / 1000000000;
        rem = ts % 1000000000;
        frac_ns = static_cast<int64_t>(rem);
      } else {
        secs = ts / units;
        rem = ts % units;
        frac_ns = units <= 1000000000 ? static_cast<int64_t>(rem * (1000000000 / units))
                                      : static_cast<int64_t>(rem / (units / 1000000000));
        if (units <= 1000000000 && 1000000000 % units)  // binary resolutions
          frac_ns = static_cast<int64_t>(static_cast<long double>(rem) * 1e9L / units);
      }
      p.ts_ns = (static_cast<int64_t>(secs) + itf.offset_seconds) * 1000000000 + frac_ns;
      p.caplen = incl;
      p.wire_len = orig < incl ? incl : orig;
      p.linktype = itf.linktype;
      p.data = body + 20;
      return true;
    } else if (type == 3) {  // simple packet block: interface 0, no timestamp
      if (body_len < 4 || interfaces_.empty()) {
        damaged(Weird::file_bad_block);
        continue;
      }
      uint32_t orig = u32(body);
      uint32_t incl = orig < body_len - 4 ? orig : static_cast<uint32_t>(body_len - 4);
      p.ts_ns = 0;
      p.caplen = incl;
      p.wire_len = orig;
      p.linktype = interfaces_[0].linktype;
      p.data = body + 4;
      return true;
    }
    // other blocks (statistics, name resolution, custom) are skipped
  }
}

}  // namespace opskit::net
