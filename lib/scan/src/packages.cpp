#include "scan/packages.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.hpp"

namespace opskit::scan {
namespace fs = std::filesystem;
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// Weight of one character in a non-digit run; the end of the string weighs 0.
int weight(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  char c = s[i];
  if (digit(c)) return 0;
  if (std::isalpha(static_cast<unsigned char>(c))) return static_cast<unsigned char>(c);
  if (c == '~') return -1;
  return static_cast<unsigned char>(c) + 256;
}

// The dpkg comparison of an upstream version or a revision.
int compare_part(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !digit(a[i])) || (j < b.size() && !digit(b[j]))) {
      int wa = weight(a, i), wb = weight(b, j);
      if (wa != wb) return wa < wb ? -1 : 1;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    int first_diff = 0;
    while (i < a.size() && j < b.size() && digit(a[i]) && digit(b[j])) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && digit(a[i])) return 1;   // a's number has more digits
    if (j < b.size() && digit(b[j])) return -1;
    if (first_diff) return first_diff < 0 ? -1 : 1;
  }
  return 0;
}

struct Parts {
  unsigned long long epoch = 0;
  std::string_view upstream, revision;
};

Parts split_version(std::string_view v) {
  Parts p;
  size_t colon = v.find(':');
  if (colon != std::string_view::npos && colon > 0 &&
      std::all_of(v.begin(), v.begin() + static_cast<long>(colon), [](char c) { return digit(c); })) {
    for (size_t k = 0; k < colon && p.epoch < (1ULL << 40); ++k) p.epoch = p.epoch * 10 + static_cast<unsigned>(v[k] - '0');
    v.remove_prefix(colon + 1);
  }
  size_t dash = v.rfind('-');
  if (dash != std::string_view::npos) {
    p.upstream = v.substr(0, dash);
    p.revision = v.substr(dash + 1);
  } else {
    p.upstream = v;
  }
  return p;
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(SourceLocation{path, 0, 0, ""}, "cannot read");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

uint32_t le32(std::string_view d, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(d[at])) | static_cast<uint32_t>(static_cast<unsigned char>(d[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(d[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(d[at + 3])) << 24;
}

// One LZ4 block (sequences of literals and back-references) appended to out;
// earlier output serves as the dictionary of linked blocks.
void lz4_block(std::string_view in, std::string& out, size_t limit, const std::string& file) {
  auto fail = [&](const char* why) { throw DataError(SourceLocation{file, 0, 0, "lz4"}, why); };
  size_t ip = 0;
  auto length = [&](size_t base) {
    size_t n = base;
    if (base == 15) {
      unsigned char b = 0;
      do {
        if (ip >= in.size()) fail("truncated length in LZ4 block");
        b = static_cast<unsigned char>(in[ip++]);
        n += b;
      } while (b == 255);
    }
    return n;
  };
  while (ip < in.size()) {
    unsigned char token = static_cast<unsigned char>(in[ip++]);
    size_t lit = length(token >> 4);
    if (lit > in.size() - ip) fail("literals run past the LZ4 block");
    if (out.size() + lit > limit) fail("decompressed index too large");
    out.append(in.substr(ip, lit));
    ip += lit;
    if (ip == in.size()) break;  // the last sequence has literals only
    if (in.size() - ip < 2) fail("truncated LZ4 match offset");
    size_t offset = static_cast<unsigned char>(in[ip]) | static_cast<size_t>(static_cast<unsigned char>(in[ip + 1])) << 8;
    ip += 2;
    if (offset == 0 || offset > out.size()) fail("LZ4 match offset outside the output");
    size_t match = length(token & 15) + 4;
    if (out.size() + match > limit) fail("decompressed index too large");
    size_t from = out.size() - offset;
    for (size_t k = 0; k < match; ++k) out.push_back(out[from + k]);  // overlapping copies repeat bytes
  }
}

std::string gunzip(const std::string& data, const std::string& file, size_t limit) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw DataError(SourceLocation{file, 0, 0, "gzip"}, "cannot start inflate");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > limit) rc = Z_MEM_ERROR;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw DataError(SourceLocation{file, 0, 0, "gzip"}, "corrupt or truncated gzip data");
  return out;
}

// "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4" -> "bookworm-security"
std::string archive_of(const std::string& index_name) {
  size_t d = index_name.find("_dists_");
  if (d == std::string::npos) return index_name;
  size_t start = d + 7, end = index_name.find('_', start);
  return index_name.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

int compare_debian_versions(std::string_view a, std::string_view b) {
  Parts pa = split_version(a), pb = split_version(b);
  if (pa.epoch != pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  if (int c = compare_part(pa.upstream, pb.upstream)) return c;
  return compare_part(pa.revision, pb.revision);
}

std::vector<PackageStanza> parse_package_stanzas(std::string_view text, const std::string& file) {
  std::vector<PackageStanza> out;
  PackageStanza cur;
  bool open = false;
  auto close = [&](long line) {
    if (!open) return;
    if (cur.name.empty()) throw DataError(SourceLocation{file, cur.line, 0, "Package"}, "stanza has no Package field");
    if (cur.version.empty()) throw DataError(SourceLocation{file, cur.line, 0, "Version"}, "package " + cur.name + " has no Version");
    out.push_back(std::move(cur));
    cur = PackageStanza{};
    open = false;
    (void)line;
  };
  long line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view l = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.find_first_not_of(" \t") == std::string_view::npos) {
      close(line);
      continue;
    }
    if (l[0] == ' ' || l[0] == '\t') {
      if (!open) throw DataError(SourceLocation{file, line, 1, ""}, "continuation line outside a stanza");
      continue;  // continuation of a multi-line field we do not read
    }
    size_t colon = l.find(':');
    if (colon == std::string_view::npos || colon == 0)
      throw DataError(SourceLocation{file, line, 1, ""}, "expected 'Field: value'");
    std::string_view field = l.substr(0, colon), value = l.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (!open) {
      open = true;
      cur.line = line;
    }
    if (field == "Package") cur.name = value;
    else if (field == "Version") {
      if (value.empty() || value.find_first_of(" \t") != std::string_view::npos)
        throw DataError(SourceLocation{file, line, static_cast<long>(colon + 2), "Version"}, "not a Debian version");
      cur.version = value;
    } else if (field == "Architecture") cur.arch = value;
    else if (field == "Status") cur.status = value;
  }
  close(line);
  return out;
}

std::string lz4_frame_decode(std::string_view d, const std::string& file, size_t limit) {
  auto fail = [&](const char* why) { throw DataError(SourceLocation{file, 0, 0, "lz4"}, why); };
  std::string out;
  size_t p = 0;
  while (p < d.size()) {
    if (d.size() - p < 4) fail("truncated LZ4 frame header");
    uint32_t magic = le32(d, p);
    if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) {  // skippable frame
      if (d.size() - p < 8) fail("truncated skippable frame");
      uint64_t n = le32(d, p + 4);
      if (n > d.size() - p - 8) fail("skippable frame runs past the end");
      p += 8 + n;
      continue;
    }
    if (magic != 0x184D2204u) fail("not an LZ4 frame (bad magic number)");
    p += 4;
    if (d.size() - p < 3) fail("truncated LZ4 frame descriptor");
    unsigned char flg = static_cast<unsigned char>(d[p]);
    if ((flg >> 6) != 1) fail("unsupported LZ4 frame version");
    bool block_checksum = flg & 0x10, content_size = flg & 0x08, content_checksum = flg & 0x04, dict = flg & 0x01;
    size_t header = 2 + (content_size ? 8 : 0) + (dict ? 4 : 0) + 1;  // FLG BD [size] [dict] HC
    if (d.size() - p < header) fail("truncated LZ4 frame descriptor");
    p += header;
    for (;;) {
      if (d.size() - p < 4) fail("truncated LZ4 block size");
      uint32_t size = le32(d, p);
      p += 4;
      if (size == 0) break;  // end mark
      bool raw = size & 0x80000000u;
      size &= 0x7FFFFFFFu;
      if (size > d.size() - p) fail("LZ4 block runs past the end");
      std::string_view block = d.substr(p, size);
      if (raw) {
        if (out.size() + size > limit) fail("decompressed index too large");
        out.append(block);
      } else {
        lz4_block(block, out, limit, file);
      }
      p += size;
      if (block_checksum) {
        if (d.size() - p < 4) fail("truncated LZ4 block checksum");
        p += 4;
      }
    }
    if (content_checksum) {
      if (d.size() - p < 4) fail("truncated LZ4 content checksum");
      p += 4;
    }
  }
  return out;
}

SecurityUpdates pending_security_updates(const std::string& root) {
  SecurityUpdates su;
  std::string base = root == "/" || root.empty() ? "" : root;
  std::string status_path = base + "/var/lib/dpkg/status";
  std::error_code ec;
  if (!fs::exists(status_path, ec)) return su;
  su.status_found = true;
  std::map<std::pair<std::string, std::string>, std::string> installed;  // (name, arch) -> version
  for (auto& s : parse_package_stanzas(read_whole(status_path), status_path)) {
    // "install ok installed" (or "hold ok installed"): only what is on disk counts.
    if (!s.status.ends_with(" installed")) continue;
    installed[{s.name, s.arch}] = s.version;
  }
  su.installed = installed.size();

  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(base + "/var/lib/apt/lists", ec)) {
    std::string n = e.path().filename().string();
    if (n.find("security") == std::string::npos) continue;
    if (n.ends_with("_Packages") || n.ends_with("_Packages.lz4") || n.ends_with("_Packages.gz")) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::map<std::pair<std::string, std::string>, PendingUpdate> best;
  for (const auto& f : files) {
    std::string name = fs::path(f).filename().string();
    try {
      std::string data = read_whole(f);
      if (name.ends_with(".lz4")) data = lz4_frame_decode(data, f);
      else if (name.ends_with(".gz")) data = gunzip(data, f, size_t(1) << 30);
      std::string archive = archive_of(name);
      for (auto& s : parse_package_stanzas(data, f)) {
        auto it = installed.find({s.name, s.arch});
        if (it == installed.end() || compare_debian_versions(s.version, it->second) <= 0) continue;
        auto& b = best[{s.name, s.arch}];
        if (b.available.empty() || compare_debian_versions(s.version, b.available) > 0)
          b = PendingUpdate{s.name, s.arch, it->second, s.version, archive};
      }
      su.indexes.push_back(name);
    } catch (const DataError& e) {
      su.problems.push_back(e.what());
    }
  }
  for (auto& [key, u] : best) su.pending.push_back(std::move(u));
  return su;
}

}  // namespace opskit::scan
