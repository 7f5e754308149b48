// DNS wire-format parsing. Every offset is checked against `size` before it
// is read; compression is followed with a hop limit so loops terminate.
#include <arpa/inet.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <wmmintrin.h>
#endif

#include <cstdio>
#include <cstring>

#include "net/dns.hpp"
#include "net/flat_map.hpp"  // mix64, process_hash_key

namespace opskit::net {

namespace {
inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
constexpr int kMaxHops = 64;
constexpr size_t kMaxName = 255;

// Bytes written as themselves in a name; everything else becomes \DDD.
struct PlainTable {
  bool plain[256] = {};
  constexpr PlainTable() {
    for (int c = 0; c < 256; ++c)
      plain[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_' || c == '*' || c == '/' || c == '+' || c == '=';
  }
};
constexpr PlainTable kPlain;

// Longest rendered name: 255 wire bytes, each escaped as \DDD, plus dots.
constexpr size_t kMaxRendered = kDnsMaxNameText;

// A name rendered into a fixed buffer: no allocation per name; callers copy
// it into a string only when they keep it.
struct NameBuf {
  char text[kMaxRendered];
  size_t len = 0;
  std::string_view view() const { return {text, len}; }
};

#if defined(__SSE2__)
// The 16 bytes at p that are plain, as a bit mask (signed compares: bytes
// from 0x80 up are negative and fall outside every range).
inline int plain_mask(const uint8_t* p) {
  __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  auto in = [](__m128i v, char lo, char hi) {
    return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                         _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
  };
  __m128i lower = _mm_or_si128(c, _mm_set1_epi8(0x20));
  __m128i ok = _mm_or_si128(in(lower, 'a', 'z'), in(c, '0', '9'));
  // '*' '+' '-' '/' are 0x2a-0x2f less ',' and '.'
  __m128i punct = _mm_andnot_si128(
      _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8(',')), _mm_cmpeq_epi8(c, _mm_set1_epi8('.'))), in(c, '*', '/'));
  ok = _mm_or_si128(ok, punct);
  ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('_')), _mm_cmpeq_epi8(c, _mm_set1_epi8('='))));
  return _mm_movemask_epi8(ok);
}
#endif

// Writes one label's text at text + len (escaping what is not plain) and advances len.
void append_label(char* text, size_t& len, const uint8_t* p, size_t n) {
  char* o = text + len;
  size_t i = 0;
#if defined(__SSE2__)
  // Labels are mostly plain: copy 16 bytes at a time while they are.
  for (; i + 16 <= n && plain_mask(p + i) == 0xffff; i += 16, o += 16) std::memcpy(o, p + i, 16);
#endif
  for (; i < n; ++i) {
    uint8_t c = p[i];
    if (kPlain.plain[c]) {
      *o++ = static_cast<char>(c);
      continue;
    }
    o[0] = '\\';
    o[1] = static_cast<char>('0' + c / 100);
    o[2] = static_cast<char>('0' + c / 10 % 10);
    o[3] = static_cast<char>('0' + c % 10);
    o += 4;
  }
  len = static_cast<size_t>(o - text);
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 15]);
  }
  return s;
}

std::string char_strings(const uint8_t* p, size_t n) {
  std::string s;
  size_t at = 0;
  while (at < n) {
    size_t len = p[at++];
    if (len > n - at) len = n - at;
    if (!s.empty()) s.push_back(' ');
    s.push_back('"');
    for (size_t i = 0; i < len; ++i) {
      uint8_t c = p[at + i];
      if (c == '"' || c == '\\') {
        s.push_back('\\');
        s.push_back(static_cast<char>(c));
      } else if (c < 0x20 || c > 0x7e) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", c);
        s.append(buf);
      } else s.push_back(static_cast<char>(c));
    }
    s.push_back('"');
    at += len;
  }
  return s;
}
}  // namespace

namespace {
// Any CPU: 32 bytes a step in four independent lanes held in registers (a
// multiply's latency, not its throughput, bounds one lane).
uint64_t wire_hash_portable(const uint8_t* p, size_t n) {
  constexpr uint64_t k0 = 0xff51afd7ed558ccdull, k1 = 0xc4ceb9fe1a85ec53ull;
  auto word = [&](size_t at) {
    uint64_t w;
    std::memcpy(&w, p + at, 8);
    return w;
  };
  const HashKey& key = process_hash_key;
  uint64_t a = key.w[0] ^ n, b = key.w[1], c = key.w[2], d = key.w[3];
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = (a ^ word(i)) * k0;
    b = (b ^ word(i + 8)) * k1;
    c = (c ^ word(i + 16)) * k0;
    d = (d ^ word(i + 24)) * k1;
    a ^= a >> 29;
    b ^= b >> 29;
    c ^= c >> 29;
    d ^= d >> 29;
  }
  // The last 0-31 bytes: whole words, then the rest zero-padded.
  uint64_t tail[4] = {0, 0, 0, 0};
  size_t t = 0;
  for (; i + 8 <= n; i += 8) tail[t++] = word(i);
  for (size_t k = 0; i + k < n; ++k) tail[t] |= uint64_t(p[i + k]) << (8 * k);
  return mix64(a ^ tail[0]) ^ mix64(b ^ tail[1] ^ 1) ^ mix64(c ^ tail[2] ^ 2) ^ mix64(d ^ tail[3] ^ 3);
}

#if defined(__x86_64__)
// The 1-15 bytes of a short name as two words: overlapping reads, each a
// function of the bytes given the length (which the key holds).
void short_words(const uint8_t* p, size_t n, uint64_t& lo, uint64_t& hi) {
  lo = hi = 0;
  if (n >= 8) {
    std::memcpy(&lo, p, 8);
    std::memcpy(&hi, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t first, last;
    std::memcpy(&first, p, 4);
    std::memcpy(&last, p + n - 4, 4);
    lo = first;
    hi = last;
  } else if (n) {
    lo = uint64_t(p[0]) | uint64_t(p[n / 2]) << 8 | uint64_t(p[n - 1]) << 16;
  }
}

inline __m128i words(uint64_t hi, uint64_t lo) { return _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo)); }
// The 16 bytes at p + at into a lane (a round of what the lane holds, then
// the bytes added), and into copy + at with kCopy.
template <bool kCopy>
__attribute__((target("aes"))) inline __m128i absorb(__m128i lane, const uint8_t* p, size_t at, uint8_t* copy) {
  __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
  if constexpr (kCopy) _mm_storeu_si128(reinterpret_cast<__m128i*>(copy + at), bytes);
  return _mm_aesenc_si128(lane, bytes);
}

// With AES instructions: 16 bytes a lane, four lanes (64 bytes a step, the
// last 64 read whole, overlapping the step before), each lane then taken
// through two more rounds before the four are added up. Two changes (a
// byte read into two lanes, or a byte changed at the same place in two)
// that meet after one round each can cancel out, and did about one time in
// a hundred when the lanes were added one round after their last bytes:
// after two, every byte of a lane depends on every byte it took in.
// kCopy: the bytes are also copied to `copy` from the registers that hold
// them (no second pass over them, and no library call).
template <bool kCopy>
__attribute__((target("aes"))) uint64_t wire_hash_aes(const uint8_t* p, size_t n, uint8_t* copy) {
  // The lanes start from the process's key, the length added in.
  const __m128i* secret = reinterpret_cast<const __m128i*>(process_hash_key.w);
  const __m128i length = _mm_cvtsi64_si128(static_cast<long long>(n));
  const __m128i key = _mm_xor_si128(_mm_load_si128(secret), length);
  __m128i a = key, b = _mm_load_si128(secret + 1), c = _mm_xor_si128(key, b),
          d = _mm_xor_si128(_mm_load_si128(secret + 2), length);
  auto step = [&](size_t at) __attribute__((target("aes"))) {
    a = absorb<kCopy>(a, p, at, copy);
    b = absorb<kCopy>(b, p, at + 16, copy);
    c = absorb<kCopy>(c, p, at + 32, copy);
    d = absorb<kCopy>(d, p, at + 48, copy);
  };
  if (n >= 64) {
    for (size_t i = 0; i + 64 < n; i += 64) step(i);
    step(n - 64);
  } else if (n >= 32) {
    a = absorb<kCopy>(a, p, 0, copy);
    b = absorb<kCopy>(b, p, 16, copy);
    c = absorb<kCopy>(c, p, n - 32, copy);
    d = absorb<kCopy>(d, p, n - 16, copy);
  } else if (n >= 16) {
    a = absorb<kCopy>(a, p, 0, copy);
    b = absorb<kCopy>(b, p, n - 16, copy);
  } else {
    if constexpr (kCopy) std::memcpy(copy, p, n);
    uint64_t lo, hi;
    short_words(p, n, lo, hi);
    a = _mm_aesenc_si128(a, words(hi, lo));
  }
  auto spread = [&](__m128i lane) __attribute__((target("aes"))) {
    return _mm_aesenc_si128(_mm_aesenc_si128(lane, key), key);
  };
  __m128i x = _mm_xor_si128(_mm_xor_si128(spread(a), spread(b)), _mm_xor_si128(spread(c), spread(d)));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(x)) ^ static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x)));
}

bool cpu_has_aes() {
  static const bool has = __builtin_cpu_supports("aes");
  return has;
}
#endif
}  // namespace

uint64_t dns_wire_hash(const uint8_t* p, size_t n, HashEngine engine) {
#if defined(__x86_64__)
  if (engine == HashEngine::best && cpu_has_aes()) return wire_hash_aes<false>(p, n, nullptr);
#endif
  return wire_hash_portable(p, n);
}

namespace {
// dns_wire_hash(p, n), with the n bytes copied to `copy` on the way.
uint64_t copy_and_hash(const uint8_t* p, size_t n, uint8_t* copy) {
#if defined(__x86_64__)
  if (cpu_has_aes()) return wire_hash_aes<true>(p, n, copy);
#endif
  std::memcpy(copy, p, n);
  return wire_hash_portable(p, n);
}
}  // namespace

namespace {
// Walks a (possibly compressed) name starting at `offset`, handing each
// label to `on_label(bytes, length)`; on success sets `next` to the offset
// after the name in its original position. Every check lives here, so the
// rendering and the non-rendering readers count the same anomalies.
template <class OnLabel>
bool walk_name(const uint8_t* data, size_t size, size_t offset, size_t& next, Weirds& weirds, OnLabel&& on_label) {
  size_t pos = offset;
  bool jumped = false;
  int hops = 0, labels = 0;
  size_t wire_len = 1;
  for (;;) {
    if (pos >= size) {
      weirds.add(Weird::dns_truncated);
      return false;
    }
    uint8_t len = data[pos];
    if (len == 0) {
      if (!jumped) next = pos + 1;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= size) {
        weirds.add(Weird::dns_truncated);
        return false;
      }
      size_t target = size_t(len & 0x3f) << 8 | data[pos + 1];
      if (target >= size) {
        weirds.add(Weird::dns_pointer_out_of_range);
        return false;
      }
      if (++hops > kMaxHops || target == pos) {
        weirds.add(Weird::dns_pointer_loop);
        return false;
      }
      if (!jumped) next = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if (len & 0xc0) {  // 0x40 / 0x80: extended label types, obsolete
      weirds.add(Weird::dns_bad_label);
      return false;
    }
    if (pos + 1 + len > size) {
      weirds.add(Weird::dns_truncated);
      return false;
    }
    wire_len += 1 + len;
    if (wire_len > kMaxName || ++labels > 127) {
      weirds.add(Weird::dns_name_too_long);
      return false;
    }
    on_label(data + pos + 1, len);
    pos += 1 + len;
  }
}

// The wire length limit (255) bounds the rendered text to kMaxRendered.
bool read_name(const uint8_t* data, size_t size, size_t offset, NameBuf& name, size_t& next, Weirds& weirds) {
  name.len = 0;
  return walk_name(data, size, offset, next, weirds, [&](const uint8_t* p, size_t n) {
    if (name.len) name.text[name.len++] = '.';
    append_label(name.text, name.len, p, n);
  });
}

// Checks a name without making its text.
bool skip_name(const uint8_t* data, size_t size, size_t offset, size_t& next, Weirds& weirds) {
  return walk_name(data, size, offset, next, weirds, [](const uint8_t*, size_t) {});
}

// Reads a name in wire form. A question's name is almost always
// uncompressed, its wire form the very bytes of the message: those are
// hashed where they lie and copied on the way (hashing the copy made label
// by label would read words straddling several recent stores, which the
// processor cannot forward). A compressed name is walked again and
// copied label by label. The 255-byte limit bounds the copy to
// DnsWireName::kMax. `in_place`: the name had no pointer.
bool read_wire_name(const uint8_t* data, size_t size, size_t offset, DnsWireName& name, size_t& next, bool& in_place,
                    Weirds& weirds) {
  size_t len = 0;
  bool contiguous = true;
  bool ok = walk_name(data, size, offset, next, weirds, [&](const uint8_t* p, size_t n) {
    contiguous &= p == data + offset + len + 1;
    len += 1 + n;
  });
  if (!ok) {
    name.len = 0;
    return false;
  }
  name.len = static_cast<uint8_t>(len);
  in_place = contiguous;
  if (contiguous) {
    name.hash = copy_and_hash(data + offset, len, name.bytes);
    return true;
  }
  size_t at = 0, again;
  walk_name(data, size, offset, again, weirds, [&](const uint8_t* p, size_t n) {
    name.bytes[at] = static_cast<uint8_t>(n);
    std::memcpy(name.bytes + at + 1, p, n);
    at += 1 + n;
  });
  name.hash = dns_wire_hash(name.bytes, len);
  return true;
}

}  // namespace


size_t render_dns_name(const DnsWireName& name, char* out) {
  size_t len = 0;
  for (size_t at = 0; at < name.len; at += 1 + name.bytes[at]) {
    if (len) out[len++] = '.';
    append_label(out, len, name.bytes + at + 1, name.bytes[at]);
  }
  return len;
}

std::string dns_name_text(const DnsWireName& name) {
  NameBuf buf;
  return std::string(buf.text, render_dns_name(name, buf.text));
}

bool read_dns_name(const uint8_t* data, size_t size, size_t offset, std::string& name, size_t& next, Weirds& weirds) {
  NameBuf buf;
  bool ok = read_name(data, size, offset, buf, next, weirds);
  name.assign(buf.text, buf.len);
  return ok;
}

std::string dns_type_name(uint16_t type) {
  switch (type) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 10: return "NULL";
    case 12: return "PTR";
    case 13: return "HINFO";
    case 15: return "MX";
    case 16: return "TXT";
    case 17: return "RP";
    case 24: return "SIG";
    case 25: return "KEY";
    case 28: return "AAAA";
    case 29: return "LOC";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 39: return "DNAME";
    case 41: return "OPT";
    case 43: return "DS";
    case 44: return "SSHFP";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 50: return "NSEC3";
    case 51: return "NSEC3PARAM";
    case 52: return "TLSA";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 99: return "SPF";
    case 249: return "TKEY";
    case 250: return "TSIG";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 255: return "ANY";
    case 256: return "URI";
    case 257: return "CAA";
    default: return "TYPE" + std::to_string(type);
  }
}

std::string dns_rcode_name(uint8_t rcode) {
  static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < sizeof names / sizeof *names) return names[rcode];
  return "RCODE" + std::to_string(rcode);
}

namespace {

// Checks the RDATA of one record (false when it is malformed) and renders it
// into `out` when given: without it only the checks run (names are walked,
// not rendered), with the same anomalies counted, and nothing is allocated.
bool render_rdata(const uint8_t* data, size_t at, uint16_t type, uint16_t rdlen, std::string* out, Weirds& weirds) {
  const uint8_t* r = data + at;
  size_t end = at + rdlen;
  NameBuf name;
  size_t next = 0;
  // A name inside the RDATA (compression may point back into the message).
  auto name_at = [&](size_t offset, NameBuf& buf) {
    return out ? read_name(data, end, offset, buf, next, weirds) : skip_name(data, end, offset, next, weirds);
  };
  switch (type) {
    case 1: {
      if (rdlen != 4) return false;
      if (!out) return true;
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, r, buf, sizeof buf);
      *out = buf;
      return true;
    }
    case 28: {
      if (rdlen != 16) return false;
      if (!out) return true;
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, r, buf, sizeof buf);
      *out = buf;
      return true;
    }
    case 2: case 5: case 12: case 39: case 3: case 4: case 7: case 8: case 9:
      if (!name_at(at, name)) return false;
      if (out) out->assign(name.text, name.len);
      return true;
    case 15: case 18: case 21: case 36: {
      if (rdlen < 3) return false;
      if (!name_at(at + 2, name)) return false;
      if (out) *out = std::to_string(be16(r)) + " " + std::string(name.view());
      return true;
    }
    case 6: {
      NameBuf rname;
      if (!name_at(at, name)) return false;
      if (!name_at(next, rname)) return false;
      if (end - next < 20) return false;
      const uint8_t* q = data + next;
      if (out)
        *out = std::string(name.view()) + " " + std::string(rname.view()) + " " + std::to_string(be32(q)) + " " +
               std::to_string(be32(q + 4)) + " " + std::to_string(be32(q + 8)) + " " + std::to_string(be32(q + 12)) +
               " " + std::to_string(be32(q + 16));
      return true;
    }
    case 33: {
      if (rdlen < 7) return false;
      if (!name_at(at + 6, name)) return false;
      if (out)
        *out = std::to_string(be16(r)) + " " + std::to_string(be16(r + 2)) + " " + std::to_string(be16(r + 4)) + " " +
               std::string(name.view());
      return true;
    }
    case 16: case 99: case 13:
      if (out) *out = char_strings(r, rdlen);
      return true;
    case 64: case 65: {
      if (rdlen < 3) return false;
      if (!name_at(at + 2, name)) return false;
      if (out) *out = std::to_string(be16(r)) + " " + (name.len ? std::string(name.view()) : std::string("."));
      return true;
    }
    default:
      if (out) *out = hex(r, rdlen);
      return true;
  }
}

// EDNS0 (an OPT record): the extended rcode, version and flags, and the
// client subnet option.
void read_opt(const uint8_t* data, size_t at, uint16_t udp_size, uint32_t ttl, uint16_t rdlength, DnsMessage& m,
              Weirds& weirds) {
  m.edns = true;
  m.edns_udp_size = udp_size;
  m.rcode = static_cast<uint8_t>(m.rcode | ((ttl >> 24) & 0xff) << 4);
  m.edns_version = (ttl >> 16) & 0xff;
  m.edns_do = ttl & 0x8000;
  size_t o = at, oend = at + rdlength;
  while (o + 4 <= oend) {
    uint16_t code = be16(data + o), olen = be16(data + o + 2);
    o += 4;
    if (olen > oend - o) {
      weirds.add(Weird::dns_bad_rdata);
      break;
    }
    if (code == 8 && olen >= 4) {  // client subnet
      uint16_t family = be16(data + o);
      uint8_t prefix = data[o + 2];
      uint8_t addr[16] = {0};
      size_t alen = olen - 4;
      if (family == 1 && alen <= 4) {
        std::memcpy(addr, data + o + 4, alen);
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, addr, buf, sizeof buf);
        m.client_subnet = std::string(buf) + "/" + std::to_string(prefix);
      } else if (family == 2 && alen <= 16) {
        std::memcpy(addr, data + o + 4, alen);
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, addr, buf, sizeof buf);
        m.client_subnet = std::string(buf) + "/" + std::to_string(prefix);
      }
    }
    o += olen;
  }
}

// Back to an empty message, keeping the capacity of its strings and
// vectors (and without clearing the wire name's bytes: its length says
// how many count).
void reset(DnsMessage& m) {
  m.id = 0;
  m.response = false;
  m.opcode = 0;
  m.aa = m.tc = m.rd = m.ra = m.ad = m.cd = m.z = false;
  m.rcode = 0;
  m.qdcount = m.ancount = m.nscount = m.arcount = 0;
  m.qname.clear();
  m.qname_wire.len = 0;
  m.qname_wire.hash = 0;
  m.qtype = m.qclass = 0;
  m.questions.clear();
  m.unicast_response = false;
  m.answers.clear();
  m.authority.clear();
  m.additional.clear();
  m.edns = false;
  m.edns_udp_size = 0;
  m.edns_version = 0;
  m.edns_do = false;
  m.client_subnet.clear();
  m.complete = true;
}

}  // namespace

bool parse_dns(const uint8_t* data, size_t size, DnsMessage& m, Weirds& weirds, const DnsLimits& limits) {
  reset(m);
  if (size < 12) {
    weirds.add(Weird::dns_truncated);
    return false;
  }
  m.id = be16(data);
  uint16_t flags = be16(data + 2);
  m.response = flags & 0x8000;
  m.opcode = (flags >> 11) & 0xf;
  m.aa = flags & 0x0400;
  m.tc = flags & 0x0200;
  m.rd = flags & 0x0100;
  m.ra = flags & 0x0080;
  m.z = flags & 0x0040;
  m.ad = flags & 0x0020;
  m.cd = flags & 0x0010;
  m.rcode = flags & 0xf;
  m.qdcount = be16(data + 4);
  m.ancount = be16(data + 6);
  m.nscount = be16(data + 8);
  m.arcount = be16(data + 10);
  size_t pos = 12;
  // Each question takes at least 5 bytes, each RR at least 11: counts past
  // what the bytes can hold are hostile or corrupt.
  size_t rest = size - 12;
  if (size_t(m.qdcount) * 5 > rest ||
      size_t(m.qdcount) * 5 + (size_t(m.ancount) + m.nscount + m.arcount) * 11 > rest)
    weirds.add(Weird::dns_too_many_records);
  NameBuf name;
  // The first question's name checked, without pointers: a record name that
  // is just a pointer to it (as most answers' are) passes every check the
  // walk makes (one hop, the same labels and length, all before the record).
  bool question_checked = false;
  for (uint16_t i = 0; i < m.qdcount; ++i) {
    size_t next = 0;
    // The first question is kept in wire form (the analyzer's key for it);
    // the others are only checked unless their text is wanted.
    bool ok;
    if (i == 0) {
      DnsWireName& wire = m.qname_wire;
      ok = read_wire_name(data, size, pos, wire, next, question_checked, weirds);
      if (ok && limits.render) name.len = render_dns_name(wire, name.text);
    } else {
      ok = limits.render && m.questions.size() < 16 ? read_name(data, size, pos, name, next, weirds)
                                                     : skip_name(data, size, pos, next, weirds);
    }
    if (!ok || next + 4 > size) {
      if (next + 4 > size && next) weirds.add(Weird::dns_truncated);
      if (i == 0) m.qname_wire.len = 0, m.qname_wire.hash = 0;
      m.complete = false;
      return true;
    }
    if (limits.render && m.questions.size() < 16) m.questions.emplace_back(std::string(name.view()), be16(data + next));
    if (i == 0) {
      if (limits.render) m.qname.assign(name.text, name.len);
      m.qtype = be16(data + next);
      m.qclass = be16(data + next + 2) & 0x7fff;
      m.unicast_response = be16(data + next + 2) & 0x8000;
    }
    pos = next + 4;
  }
  size_t total_records = 0;
  std::vector<DnsRecord>* sections[3] = {&m.answers, &m.authority, &m.additional};
  uint16_t counts[3] = {m.ancount, m.nscount, m.arcount};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s]; ++i) {
      if (++total_records > limits.max_records) {
        weirds.add(Weird::dns_too_many_records);
        m.complete = false;
        return true;
      }
      size_t next = 0;
      bool named;
      if (limits.render) {
        named = read_name(data, size, pos, name, next, weirds);
      } else if (question_checked && pos + 1 < size && data[pos] == 0xc0 && data[pos + 1] == 12) {
        named = true;
        next = pos + 2;
      } else {
        named = skip_name(data, size, pos, next, weirds);
      }
      if (!named) {
        m.complete = false;
        return true;
      }
      if (next + 10 > size) {
        weirds.add(Weird::dns_truncated);
        m.complete = false;
        return true;
      }
      const uint8_t* h = data + next;
      uint16_t rdlength = be16(h + 8);
      size_t at = next + 10;
      if (rdlength > size - at) {
        weirds.add(Weird::dns_truncated);
        m.complete = false;
        return true;
      }
      // Filled where it stays: no record is built and moved per RR.
      DnsRecord& rr = sections[s]->emplace_back();
      if (limits.render) rr.name.assign(name.text, name.len);
      rr.type = be16(h);
      rr.rclass = be16(h + 2);
      rr.ttl = be32(h + 4);
      rr.rdlength = rdlength;
      if (rr.type == 41) {
        read_opt(data, at, rr.rclass, rr.ttl, rdlength, m, weirds);
      } else if (!render_rdata(data, at, rr.type, rdlength, limits.render ? &rr.data : nullptr, weirds)) {
        weirds.add(Weird::dns_bad_rdata);
        if (limits.render) rr.data = hex(data + at, rdlength);
      }
      pos = at + rdlength;
    }
  }
  if (pos < size) weirds.add(Weird::dns_trailing_bytes);
  return true;
}

}  // namespace opskit::net
