// Device posture: the host audit over a fabricated tree, telemetry scoring.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.hpp"
#include "scan/host.hpp"
#include "scan/telemetry.hpp"
#include "test_paths.hpp"

using namespace opskit::scan;
namespace fs = std::filesystem;

namespace {

void put(const std::string& root, const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(root + path).parent_path());
  std::ofstream(root + path) << content;
}

std::map<std::string, HostCheck> by_id(const HostAudit& a) {
  std::map<std::string, HostCheck> m;
  for (const auto& c : a.checks) m[c.id] = c;
  return m;
}

}  // namespace

TEST_CASE("host audit over a fabricated system", "[scan][host]") {
  std::string root = opskit::test::temp_dir("host");
  put(root, "/etc/os-release", "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
  put(root, "/proc/sys/kernel/osrelease", "6.1.0-test\n");
  put(root, "/proc/sys/kernel/hostname", "web-1\n");
  put(root, "/proc/sys/kernel/randomize_va_space", "2\n");
  put(root, "/proc/sys/fs/protected_symlinks", "0\n");
  put(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nana:x:1000:1000::/home/ana:/bin/bash\n");
  put(root, "/etc/shadow", "root:$6$abc:19000::::::\nana::19000::::::\n");
  put(root, "/etc/sudoers", "root ALL=(ALL) ALL\n%sudo ALL=(ALL) NOPASSWD: ALL\n");
  put(root, "/etc/ssh/sshd_config", "# comment\nPermitRootLogin yes\nPasswordAuthentication no\n");
  put(root, "/etc/apt/apt.conf.d/20auto-upgrades", "APT::Periodic::Unattended-Upgrade \"1\";\n");
  put(root, "/proc/net/tcp",
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1\n"
      "   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1\n");
  put(root, "/proc/mounts", "overlay / overlay rw 0 0\n");
  auto audit = audit_host(root);
  auto c = by_id(audit);
  CHECK(audit.hostname == "web-1");
  CHECK(audit.os == "Debian GNU/Linux 12 (bookworm)");
  CHECK(c["sysctl.aslr"].passed);
  CHECK_FALSE(c["sysctl.protected-symlinks"].passed);
  CHECK_FALSE(c["sysctl.dmesg-restrict"].applies);  // absent here
  CHECK_FALSE(c["users.extra-uid0"].passed);
  CHECK_FALSE(c["users.empty-password"].passed);
  CHECK_FALSE(c["users.sudo-nopasswd"].passed);
  CHECK_FALSE(c["ssh.permit-root-login"].passed);
  CHECK(c["ssh.password-authentication"].passed);
  CHECK(c["updates.automatic-security"].passed);
  CHECK_FALSE(c["network.risky-services"].passed);  // 6379 (redis) on every address; 5432 only on loopback
  CHECK(c["network.risky-services"].evidence.find("6379") != std::string::npos);
  CHECK(c["network.risky-services"].evidence.find("5432") == std::string::npos);
  CHECK_FALSE(c["disk.encryption"].applies);  // overlay root: a container
  CHECK(audit.index > 0);
  CHECK(audit.index < 100);
  auto r = host_result(audit);
  CHECK(r.target == "host:web-1");
  CHECK(r.score == audit.index);
  CHECK(r.findings.front().severity == Severity::critical);
}

TEST_CASE("host audit of this machine is fast", "[scan][host]") {
  auto t0 = std::chrono::steady_clock::now();
  auto audit = audit_host("/");
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(s < 5.0);
  CHECK_FALSE(audit.checks.empty());
  CHECK(audit.index >= 0);
  CHECK(audit.index <= 100);
}

TEST_CASE("telemetry: baseline, scores, one incident per burst", "[scan][telemetry]") {
  std::string dir = opskit::test::temp_dir("tel");
  {
    std::ofstream f(dir + "/learn.jsonl");
    for (int i = 0; i < 30; ++i)
      f << "{\"device\":\"d1\",\"time\":\"2026-11-18T09:" << (i < 10 ? "0" : "") << i
        << ":00Z\",\"type\":\"network_connect\",\"process\":\"/usr/bin/firefox\",\"destination\":\"www.example.com:443\"}\n";
  }
  {
    std::ofstream f(dir + "/today.jsonl");
    f << "{\"device\":\"d1\",\"time\":\"2026-11-20T09:00:00Z\",\"type\":\"network_connect\",\"process\":\"/usr/bin/firefox\",\"destination\":\"www.example.com:443\"}\n";
    for (int i = 0; i < 4; ++i)
      f << "{\"device\":\"d1\",\"time\":\"2026-11-20T13:13:0" << i
        << "Z\",\"type\":\"network_connect\",\"process\":\"/tmp/x\",\"destination\":\"203.0.113.9:4444\"}\n";
    f << "{\"device\":\"d1\",\"time\":\"2026-11-20T18:00:00Z\",\"type\":\"process_start\",\"process\":\"/tmp/y\"}\n";
    f << "{\"device\":\"d2\",\"time\":\"2026-11-20T18:00:00Z\",\"type\":\"process_start\",\"process\":\"/tmp/z\"}\n";
  }
  Baselines base = learn(read_events(dir + "/learn.jsonl"));
  CHECK(base["d1"]["process"]["/usr/bin/firefox"] == 30);
  auto events = read_events(dir + "/today.jsonl");
  auto scored = score_events(events, base);
  REQUIRE(scored.size() == 7);
  CHECK(scored[0].score < 20);   // the usual
  CHECK(scored[1].score == Approx(84).margin(0.1));  // unseen process and destination, normal rate
  CHECK(scored[2].score > 85);   // the same plus a burst
  CHECK(scored[5].score == Approx(60).margin(0.1));  // one unseen process
  CHECK(scored[6].score == 50);  // no baseline for d2
  auto incidents = group_incidents(scored, 85);
  REQUIRE(incidents.size() == 1);
  CHECK(incidents[0].device == "d1");
  CHECK(incidents[0].events.size() == 3);
  CHECK(incidents[0].key == "d1@2026-11-20T13:13:01Z");
  // Same input, same keys: re-ingesting is idempotent.
  CHECK(read_events(dir + "/today.jsonl")[1].key == events[1].key);
}

TEST_CASE("telemetry: bad lines name file, line and field", "[scan][telemetry]") {
  std::string dir = opskit::test::temp_dir("tel-bad");
  std::ofstream(dir + "/bad.jsonl") << "{\"device\":\"d1\",\"time\":\"2026-11-20T09:00:00Z\",\"type\":\"process_start\",\"process\":\"a\"}\n"
                                    << "{\"device\":\"d1\",\"time\":\"yesterday\",\"type\":\"process_start\",\"process\":\"a\"}\n";
  try {
    read_events(dir + "/bad.jsonl");
    FAIL("expected DataError");
  } catch (const opskit::DataError& e) {
    CHECK(e.where().line == 2);
    CHECK(e.where().field == "time");
  }
}
