#pragma once
// Installed Debian packages with a newer version in a security archive, read
// straight from dpkg's status file and apt's downloaded indexes (no apt or
// dpkg process): /var/lib/dpkg/status against every
// /var/lib/apt/lists/*security*_Packages index (plain, .lz4 or .gz).
#include <string>
#include <string_view>
#include <vector>

namespace opskit::scan {

// Debian version ordering (Debian Policy 5.6.12): epoch numerically, then
// upstream version and revision by the dpkg rule (non-digit runs compared
// with letters before other characters and '~' before everything, even the
// end; digit runs numerically). <0, 0 or >0 like strcmp.
int compare_debian_versions(std::string_view a, std::string_view b);

// One stanza of a dpkg status file or a Packages index.
struct PackageStanza {
  std::string name, arch, version, status;
  long line = 0;  // where the stanza starts
};

// Reads RFC 822-style stanzas (Package, Architecture, Version, Status; the
// other fields are skipped). A line that is neither "Field: value", a
// continuation nor blank, or a stanza without Package or Version, throws
// DataError naming `file`, line and field.
std::vector<PackageStanza> parse_package_stanzas(std::string_view text, const std::string& file);

// An LZ4 frame (the format apt stores indexes in with
// Acquire::GzipIndexes / CompressionTypes::Order lz4), decoded whole.
// Throws DataError naming `file` on a corrupt or truncated frame; output is
// capped at `limit` bytes.
std::string lz4_frame_decode(std::string_view data, const std::string& file, size_t limit = size_t(1) << 30);

struct PendingUpdate {
  std::string name, arch, installed, available, archive;  // archive: "bookworm-security"
};

struct SecurityUpdates {
  bool status_found = false;              // root/var/lib/dpkg/status exists
  std::vector<std::string> indexes;       // security indexes read
  std::vector<std::string> problems;      // indexes that could not be read, with why
  size_t installed = 0;
  std::vector<PendingUpdate> pending;     // sorted by name
};

// `root` prefixes every path ("/" for this machine; a fixture tree in tests).
SecurityUpdates pending_security_updates(const std::string& root);

}  // namespace opskit::scan
