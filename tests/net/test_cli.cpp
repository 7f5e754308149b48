// The capture executable end to end: example capture, file analysis into a
// SQLite database (idempotent), formats, exit codes, live without privilege.
#include <catch2/catch.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_paths.hpp"

using opskit::test::run_command;

namespace {
std::string cap() { return opskit::test::bin("capture"); }
}  // namespace

TEST_CASE("cli: example capture analysed into the database, rerun idempotent", "[net][cli]") {
  std::string dir = opskit::test::temp_dir("net_cli");
  std::string db = " --db " + dir + "/t.db --tenant acme --now 2026-01-05T12:00:00Z";
  REQUIRE(run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q db migrate").exit_code == 0);
  REQUIRE(run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q tenant add acme --name Acme").exit_code == 0);
  auto gen = run_command(cap() + " example " + dir + "/office.pcap -q");
  REQUIRE(gen.exit_code == 0);
  auto r = run_command(cap() + " file " + dir + "/office.pcap --format json --records all -q" + db);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, int> kinds;
  std::istringstream in(r.out);
  std::string line;
  nlohmann::json summary;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    kinds[j["_path"]]++;
    if (j["_path"] == "summary") summary = j;
  }
  CHECK(kinds["dns"] == 122);
  CHECK(kinds["conn"] > 100);
  CHECK(kinds["alert"] >= 3);
  CHECK(summary["packets"] == 946);
  auto again = run_command(cap() + " file " + dir + "/office.pcap -q --fail-on high" + db);
  CHECK(again.exit_code == 1);  // findings at or above high
  auto alerts = run_command(cap() + " alerts --format json -q" + db);
  REQUIRE(alerts.exit_code == 0);
  CHECK(std::count(alerts.out.begin(), alerts.out.end(), '\n') == kinds["alert"]);
  auto devices = run_command(cap() + " devices --format csv -q" + db);
  CHECK(devices.out.find("finance-laptop-7") != std::string::npos);
  auto allow = run_command(cap() + " allow add '*.exfil-tunnel.example' --note 'lab' -q" + db);
  CHECK(allow.exit_code == 0);
  auto open = run_command(cap() + " alerts --format json -q" + db);
  CHECK(open.out.find("exfil-tunnel.example") == std::string::npos);
}

TEST_CASE("cli: bad input and usage errors map to their exit codes", "[net][cli]") {
  std::string dir = opskit::test::temp_dir("net_cli2");
  std::string db = " --db " + dir + "/t.db --tenant acme";
  run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q db migrate");
  run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q tenant add acme --name Acme");
  auto bad = run_command("printf 'not a capture' > " + dir + "/x.pcap && " + cap() + " file " + dir + "/x.pcap -q" + db);
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.find("x.pcap") != std::string::npos);
  CHECK(run_command(cap() + " file --records nope " + dir + "/x.pcap -q" + db).exit_code == 2);
  auto ind = run_command("printf 'kind,value\\ndomain,ok.example\\nip,300.1.1.1\\n' > " + dir + "/i.csv && " + cap() +
                         " indicators import " + dir + "/i.csv -q" + db);
  CHECK(ind.exit_code == 3);
  CHECK(ind.err.find("i.csv:3") != std::string::npos);
  CHECK(run_command(cap() + " live -i no-such-interface0 --count 1 -q" + db).exit_code == 2);
  // Without CAP_NET_RAW (when capsh can drop it), live capture says so and exits 2.
  if (run_command("command -v capsh").exit_code == 0) {
    auto r = run_command("capsh --drop=cap_net_raw,cap_net_admin -- -c '" + cap() + " live -i lo --count 1 -q" + db + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("CAP_NET_RAW") != std::string::npos);
  }
}

TEST_CASE("cli: a capture file run loads neither libpq, libcurl nor libpcap, and a webhook without a usable libcurl is exit 5", "[net][cli]") {
  std::string dir = opskit::test::temp_dir("net_libs");
  std::string db = " --db " + dir + "/t.db --tenant acme";
  REQUIRE(run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q db migrate").exit_code == 0);
  REQUIRE(run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q tenant add acme --name Acme").exit_code == 0);
  REQUIRE(run_command(cap() + " example " + dir + "/office.pcap -q").exit_code == 0);
  auto libs = opskit::test::libraries_loaded_by(cap() + " file " + dir + "/office.pcap -q" + db);
  CHECK(libs.count("libsqlite3.so.0") == 1);  // the trace sees what the run loads
  CHECK(libs.count("libpq.so.5") == 0);
  CHECK(libs.count("libcurl.so.4") == 0);
  CHECK(libs.count("libpcap.so.0.8") == 0);  // the zero-copy reader needs no libpcap
  auto with_libpcap = opskit::test::libraries_loaded_by(cap() + " file --reader libpcap " + dir + "/office.pcap -q" + db);
  CHECK(with_libpcap.count("libpcap.so.0.8") == 1);
  // A --webhook needs libcurl: one that cannot be loaded ends the run at once,
  // naming the library and its package.
  REQUIRE(run_command("mkdir " + dir + "/broken && printf 'not a library' > " + dir + "/broken/libcurl.so.4").exit_code == 0);
  auto r = run_command("LD_LIBRARY_PATH=" + dir + "/broken " + cap() + " live -i lo --count 1 --webhook http://127.0.0.1:9/ -q" + db);
  CHECK(r.exit_code == 5);
  CHECK(r.err.find("cannot load libcurl.so.4 (the curl HTTP library, Debian package libcurl4): " + dir + "/broken/libcurl.so.4") !=
        std::string::npos);
}

TEST_CASE("cli: the DGA model is found relative to the executable (any install prefix)", "[net][cli]") {
  std::string dir = opskit::test::temp_dir("net_prefix");
  // A copy of the binary under PREFIX/bin finds PREFIX/share/opskit/dga_model.bin:
  // a damaged model there is reported by its path, so the lookup is observable.
  REQUIRE(run_command("mkdir -p " + dir + "/p/bin " + dir + "/p/share/opskit && cp " + cap() + " " + dir +
                      "/p/bin/capture && printf 'junk' > " + dir + "/p/share/opskit/dga_model.bin").exit_code == 0);
  auto r = run_command("env -u OPSKIT_DGA_MODEL " + dir + "/p/bin/capture model score example.com -q");
  CHECK(r.exit_code == 3);
  CHECK(r.err.find(dir + "/p/share/opskit/dga_model.bin") != std::string::npos);
  // With a good model there, scoring works from the copied binary.
  REQUIRE(run_command("cp " + opskit::test::source_dir() + "/lib/net/data/dga_model.bin " + dir +
                      "/p/share/opskit/dga_model.bin").exit_code == 0);
  auto ok = run_command("env -u OPSKIT_DGA_MODEL " + dir + "/p/bin/capture model score example.com --format json -q");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("example.com") != std::string::npos);
}

namespace {
// A one-request HTTP listener on 127.0.0.1: records the body and when it came.
struct Listener {
  int fd = -1;
  uint16_t port = 0;
  std::string body;
  std::chrono::system_clock::time_point at{};
  std::thread thread;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    REQUIRE(::listen(fd, 4) == 0);
    thread = std::thread([this] {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20000) <= 0) return;
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      for (;;) {  // headers, then Content-Length bytes of body
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) break;
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
        size_t end = req.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        size_t cl = req.find("Content-Length: ");
        size_t want = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
        if (req.size() - end - 4 >= want) {
          body = req.substr(end + 4);
          break;
        }
      }
      at = std::chrono::system_clock::now();
      const char* ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!::write(c, ok, std::strlen(ok));
      ::close(c);
    });
  }
  ~Listener() {
    if (thread.joinable()) thread.join();
    ::close(fd);
  }
};

void send_dns_query(const std::string& name) {
  std::string q = {'\x12', '\x34', '\x01', '\x00', '\x00', '\x01', '\x00', '\x00', '\x00', '\x00', '\x00', '\x00'};
  size_t at = 0;
  while (at <= name.size()) {
    size_t dot = name.find('.', at);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<char>(dot - at));
    q += name.substr(at, dot - at);
    at = dot + 1;
  }
  q += std::string("\x00\x00\x01\x00\x01", 5);
  int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(53);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(s, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::close(s);
}
}  // namespace

TEST_CASE("cli: live capture on lo alerts, runs --exec and posts --webhook within 5 s", "[net][cli][live]") {
  if (::geteuid() != 0) {
    WARN("not root: the live capture on lo is skipped (the no-privilege exit is tested above)");
    return;
  }
  std::string dir = opskit::test::temp_dir("net_live");
  std::string db = " --db " + dir + "/t.db --tenant acme";
  REQUIRE(run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q db migrate").exit_code == 0);
  REQUIRE(run_command(opskit::test::bin("opskit") + " --db " + dir + "/t.db -q tenant add acme --name Acme").exit_code == 0);
  REQUIRE(run_command("printf 'kind,value\\ndomain,live-indicator.example\\n' > " + dir + "/i.csv && " + cap() +
                      " indicators import " + dir + "/i.csv -q" + db).exit_code == 0);
  Listener hook;
  opskit::test::CommandResult live;
  std::thread capture([&] {
    live = run_command(cap() + " live -i lo --filter 'udp port 53' --duration 8 --format json --records alert,summary -q" +
                       " --exec 'cat > " + dir + "/exec.json' --webhook http://127.0.0.1:" + std::to_string(hook.port) +
                       "/hook" + db);
  });
  // Our own traffic: a lookup of the listed domain every 250 ms until the webhook has it.
  for (int i = 0; i < 28 && hook.at == std::chrono::system_clock::time_point{}; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    send_dns_query("www.live-indicator.example");
  }
  capture.join();
  INFO(live.err);
  CHECK(live.exit_code == 0);
  CHECK(live.out.find("\"threat_type\":\"indicator\"") != std::string::npos);
  auto summary = live.out.substr(live.out.rfind("{\"_path\":\"summary\""));
  CHECK(nlohmann::json::parse(summary)["dns_messages"].get<int>() >= 1);
  // The webhook carried the alert, at most 5 s after the packet that raised it.
  REQUIRE(!hook.body.empty());
  auto alert = nlohmann::json::parse(hook.body);
  CHECK(alert["indicator"] == "live-indicator.example");
  double packet_s = alert["ts"].get<double>();
  double arrived_s = std::chrono::duration<double>(hook.at.time_since_epoch()).count();
  CHECK(arrived_s - packet_s < 5.0);
  CHECK(arrived_s - packet_s > -1.0);
  // --exec got the same alert on stdin.
  auto exec = run_command("cat " + dir + "/exec.json");
  CHECK(exec.out.find("live-indicator.example") != std::string::npos);
}
