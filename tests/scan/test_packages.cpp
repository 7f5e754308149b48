// Pending security updates: Debian version ordering, dpkg status and apt
// index parsing (plain, LZ4, gzip), over fixture trees the test writes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <tuple>

#include "core/error.hpp"
#include "scan/host.hpp"
#include "scan/packages.hpp"
#include "test_paths.hpp"

using namespace opskit::scan;
namespace fs = std::filesystem;

namespace {

void put(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

int sign(int v) { return v < 0 ? -1 : v > 0 ? 1 : 0; }

const char* kStatus =
    "Package: openssl\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Version: 3.0.15-1~deb12u1\n"
    "Description: toolkit\n"
    " multi-line description\n"
    " .\n"
    "\n"
    "Package: libc6\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Version: 2.36-9+deb12u9\n"
    "\n"
    "Package: tzdata\n"
    "Status: install ok installed\n"
    "Architecture: all\n"
    "Version: 2025b-0+deb12u1\n"
    "\n"
    "Package: curl\n"
    "Status: deinstall ok config-files\n"
    "Architecture: amd64\n"
    "Version: 7.88.1-10+deb12u1\n"
    "\n"
    "Package: bash\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Version: 5.2.15-2+b7\n";

const char* kSecurity =
    "Package: openssl\n"
    "Architecture: amd64\n"
    "Version: 3.0.17-1~deb12u2\n"
    "\n"
    "Package: openssl\n"
    "Architecture: amd64\n"
    "Version: 3.0.16-1~deb12u1\n"
    "\n"
    "Package: libc6\n"
    "Architecture: amd64\n"
    "Version: 2.36-9+deb12u9\n"  // the same: not pending
    "\n"
    "Package: curl\n"
    "Architecture: amd64\n"
    "Version: 7.88.1-10+deb12u14\n"  // only config files left: not installed
    "\n"
    "Package: bash\n"
    "Architecture: amd64\n"
    "Version: 5.2.15-2\n"  // older than the binNMU installed
    "\n"
    "Package: tzdata\n"
    "Architecture: all\n"
    "Version: 2025b-0+deb12u2\n";

// An LZ4 frame built by hand: one compressed block holding literals and a
// back-reference that overlaps its own output, then an end mark.
std::string lz4_frame_of_abcabcabc() {
  std::string f = {'\x04', '\x22', '\x4d', '\x18', '\x60', '\x40', '\x00'};  // magic, FLG (v1, independent), BD, HC
  // token: 3 literals, match length 6-4=2; literals "abc"; offset 3; then a last literal-only sequence "!"
  std::string block = {'\x32', 'a', 'b', 'c', '\x03', '\x00', '\x10', '!'};
  uint32_t n = static_cast<uint32_t>(block.size());
  f += std::string{static_cast<char>(n), 0, 0, 0} + block;
  f += std::string(4, '\0');
  return f;
}

}  // namespace

TEST_CASE("Debian version ordering", "[scan][packages]") {
  // (a, b, sign of a - b), from Debian Policy 5.6.12 and dpkg's documented behaviour.
  const std::tuple<const char*, const char*, int> pairs[] = {
      {"1.0", "1.1", -1},
      {"1.1", "1.0", 1},
      {"1.0", "1.0", 0},
      {"1.10", "1.9", 1},
      {"1.001", "1.1", 0},          // digit runs compare numerically
      {"1.0~rc1", "1.0", -1},       // '~' sorts before the end
      {"1.0~rc1", "1.0~rc2", -1},
      {"1.0~~", "1.0~~a", -1},      // policy's example order: ~~ < ~~a < ~ < (end) < a
      {"1.0~~a", "1.0~", -1},
      {"1.0~", "1.0", -1},
      {"1.0", "1.0a", -1},
      {"1.0a", "1.0+", -1},         // letters sort before other characters
      {"1.0+", "1.0.", -1},         // then by ASCII: '+' (43) before '.' (46)
      {"1:0.1", "2.0", 1},          // epoch first
      {"0:1.0", "1.0", 0},          // epoch 0 is the default
      {"2:1.0", "10:0.1", -1},      // epochs numerically
      {"1.0-1", "1.0-2", -1},
      {"1.0-1", "1.0.1-1", -1},
      {"1.0", "1.0-0", 0},          // an absent revision equals "0"
      {"1.2-3-1", "1.2-3-2", -1},   // the revision is after the last hyphen
      {"1.2-3-1", "1.2-4-1", -1},
      {"2.36-9+deb12u9", "2.36-9+deb12u10", -1},
      {"2.36-9", "2.36-9+deb12u1", -1},
      {"3.0.15-1~deb12u1", "3.0.15-1", -1},
      {"3.0.17-1~deb12u2", "3.0.15-1~deb12u1", 1},
      {"7.6p2-4", "7.6-0", 1},
      {"1.2.3", "1.2.3.0", -1},
      {"5.2.15-2+b7", "5.2.15-2", 1},
      {"1:9.18.33-1~deb12u2", "1:9.18.28-1~deb12u2", 1},
      {"20230311", "20230311.1", -1},
  };
  for (const auto& [a, b, want] : pairs) {
    INFO(a << " vs " << b);
    CHECK(sign(compare_debian_versions(a, b)) == want);
    CHECK(sign(compare_debian_versions(b, a)) == -want);
  }
}

TEST_CASE("package stanzas: fields, continuations, bad lines named", "[scan][packages]") {
  auto st = parse_package_stanzas(kStatus, "status");
  REQUIRE(st.size() == 5);
  CHECK(st[0].name == "openssl");
  CHECK(st[0].version == "3.0.15-1~deb12u1");
  CHECK(st[0].status == "install ok installed");
  CHECK(st[2].arch == "all");
  CHECK(st[1].line == 9);
  try {
    parse_package_stanzas("Package: a\nVersion: 1\n\nPackage: b\nthis is not a field\n", "st");
    FAIL("expected DataError");
  } catch (const opskit::DataError& e) {
    CHECK(e.where().file == "st");
    CHECK(e.where().line == 5);
  }
  try {
    parse_package_stanzas("Package: a\nStatus: install ok installed\n", "st");
    FAIL("expected DataError");
  } catch (const opskit::DataError& e) {
    CHECK(e.where().line == 1);
    CHECK(e.where().field == "Version");
  }
  CHECK_THROWS_AS(parse_package_stanzas(" leading continuation\n", "st"), opskit::DataError);
}

TEST_CASE("LZ4 frames decode - corrupt ones are refused", "[scan][packages]") {
  CHECK(lz4_frame_decode(lz4_frame_of_abcabcabc(), "f") == "abcabcabc!");
  std::string bad = lz4_frame_of_abcabcabc();
  bad[11 + 4] = '\x09';  // the offset now points before the output
  CHECK_THROWS_AS(lz4_frame_decode(bad, "f"), opskit::DataError);
  CHECK_THROWS_AS(lz4_frame_decode("not lz4 at all", "f"), opskit::DataError);
  std::string cut = lz4_frame_of_abcabcabc();
  cut.resize(cut.size() - 6);
  CHECK_THROWS_AS(lz4_frame_decode(cut, "f"), opskit::DataError);
  CHECK_THROWS_AS(lz4_frame_decode(lz4_frame_of_abcabcabc(), "f", 5), opskit::DataError);  // output cap
}

TEST_CASE("pending security updates over a fixture tree", "[scan][packages][host]") {
  std::string root = opskit::test::temp_dir("pkg");
  put(root + "/var/lib/dpkg/status", kStatus);
  std::string lists = root + "/var/lib/apt/lists/";
  put(lists + "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages", kSecurity);
  // The main archive has an even newer openssl: not a security update, ignored.
  put(lists + "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
      "Package: openssl\nArchitecture: amd64\nVersion: 9.9-1\n");
  auto su = pending_security_updates(root);
  CHECK(su.status_found);
  CHECK(su.installed == 4);  // curl has only its config files left
  REQUIRE(su.indexes.size() == 1);
  CHECK(su.problems.empty());
  REQUIRE(su.pending.size() == 2);
  CHECK(su.pending[0].name == "openssl");
  CHECK(su.pending[0].installed == "3.0.15-1~deb12u1");
  CHECK(su.pending[0].available == "3.0.17-1~deb12u2");  // the newest of the two entries
  CHECK(su.pending[0].archive == "bookworm-security");
  CHECK(su.pending[1].name == "tzdata");
  CHECK(su.pending[1].arch == "all");

  auto audit = audit_host(root);
  const HostCheck* check = nullptr;
  for (const auto& c : audit.checks)
    if (c.id == "updates.security-pending") check = &c;
  REQUIRE(check);
  CHECK(check->applies);
  CHECK_FALSE(check->passed);
  CHECK(check->evidence.find("openssl 3.0.15-1~deb12u1 < 3.0.17-1~deb12u2") != std::string::npos);
  auto r = host_result(audit);
  int per_package = 0;
  for (const auto& f : r.findings)
    if (f.rule.starts_with("scan.host.updates.security-pending.")) ++per_package;
  CHECK(per_package == 2);
}

TEST_CASE("security indexes stored compressed (LZ4 as Docker images keep them, gzip)", "[scan][packages]") {
  std::string root = opskit::test::temp_dir("pkg-lz4");
  put(root + "/var/lib/dpkg/status", kStatus);
  std::string lists = root + "/var/lib/apt/lists/";
  std::string plain = root + "/plain_Packages";
  put(plain, kSecurity);
  std::string name = "security.debian.org_dists_bookworm-security_main_binary-amd64_Packages";
  bool have_lz4 = opskit::test::run_command("command -v lz4").exit_code == 0;
  bool have_gzip = opskit::test::run_command("command -v gzip").exit_code == 0;
  if (!have_lz4 || !have_gzip) {
    WARN("lz4 or gzip not installed; compressed-index test skipped");
    return;
  }
  fs::create_directories(lists);
  REQUIRE(opskit::test::run_command("lz4 -q -f " + plain + " " + lists + name + ".lz4").exit_code == 0);
  auto su = pending_security_updates(root);
  CHECK(su.problems.empty());
  CHECK(su.pending.size() == 2);
  fs::remove(lists + name + ".lz4");
  REQUIRE(opskit::test::run_command("gzip -c " + plain + " > " + lists + name + ".gz").exit_code == 0);
  su = pending_security_updates(root);
  CHECK(su.problems.empty());
  CHECK(su.pending.size() == 2);
  // A corrupt index is reported with its file, and the check does not apply.
  put(lists + name + ".gz", "\x1f\x8b garbage");
  su = pending_security_updates(root);
  REQUIRE(su.problems.size() == 1);
  CHECK(su.problems[0].find(name + ".gz") != std::string::npos);
  for (const auto& c : audit_host(root).checks)
    if (c.id == "updates.security-pending") CHECK_FALSE(c.applies);
}

TEST_CASE("pending security updates of this machine, when it keeps apt indexes", "[scan][packages]") {
  auto su = pending_security_updates("/");
  if (!su.status_found || su.indexes.empty()) {
    WARN("no dpkg status or security index here; skipped");
    return;
  }
  CHECK(su.problems.empty());
  CHECK(su.installed > 10);
  for (const auto& u : su.pending) CHECK(compare_debian_versions(u.available, u.installed) > 0);
}
