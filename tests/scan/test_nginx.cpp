// The scanner against a real nginx on loopback, one server block per posture.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <map>
#include <set>

#include "nginx_fixture.hpp"
#include "scan/scanner.hpp"

using namespace opskit::scan;

namespace {

std::set<std::string> rules(const EndpointResult& r) {
  std::set<std::string> out;
  for (const auto& f : r.findings) out.insert(f.rule);
  return out;
}

}  // namespace

TEST_CASE("nginx: each server block yields its posture", "[scan][nginx]") {
  opskit::test::NginxFixture nginx;
  if (!nginx.ok()) {
    WARN("skipping: " << nginx.error());
    return;
  }
  TargetList list;
  for (const auto& n : opskit::test::nginx_fixture_names()) {
    Target t;
    t.url = nginx.url(n);
    if (n == "hardened.test" || n == "noheaders.test")
      t.http_url = "http://" + n + ":" + std::to_string(nginx.http_port()) + "/";
    list.targets.push_back(t);
  }
  {
    Target down;  // nothing listens there
    down.url = "https://hardened.test:1/";
    list.targets.push_back(down);
  }
  ScanOptions opt;
  opt.resolve = nginx.resolve();
  opt.resolve.push_back("hardened.test:1:127.0.0.1");
  opt.tls_options.ca_file = nginx.ca_file();
  opt.tls_options.timeout_ms = 3000;
  opt.connect_timeout_ms = 3000;
  opt.now_unix = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  CurlOptions co;
  co.user_agent = "opskit-scan-endpoint/test";
  co.resolve = opt.resolve;
  co.ca_file = nginx.ca_file();
  auto transport = make_curl_transport(co);
  auto results = scan_targets(list, AllowList{{"*.test"}}, opt, *transport);
  std::map<std::string, EndpointResult> by;
  for (auto& r : results) by[r.host + (r.port == 1 ? ":1" : "")] = r;

  const auto& hardened = by["hardened.test"];
  REQUIRE(hardened.status == "ok");
  REQUIRE(hardened.tls);
  CHECK(hardened.tls->grade == "A");
  CHECK(hardened.tls->chain_valid);
  CHECK(hardened.tls->hostname_match);
  CHECK_FALSE(hardened.tls->offered.at("TLSv1"));
  CHECK(hardened.observatory->find("redirection")->result == "redirection-to-https");
  CHECK(hardened.observatory->find("strict-transport-security")->result == "hsts-implemented-max-age-at-least-six-months");
  CHECK(hardened.grade == "A+");

  const auto& plain = by["noheaders.test"];
  REQUIRE(plain.status == "ok");
  CHECK(plain.observatory->find("redirection")->result == "redirection-missing");
  CHECK(rules(plain).count("csp-not-implemented"));
  CHECK(rules(plain).count("scan.banner.server"));  // server_tokens on: nginx/1.x
  CHECK(plain.grade == "F");

  const auto& expired = by["expired.test"];
  REQUIRE(expired.tls);
  CHECK(expired.tls->expired);
  CHECK(expired.tls->grade == "T");
  CHECK(rules(expired).count("scan.tls.expired"));
  CHECK(expired.observatory->find("strict-transport-security")->result == "hsts-invalid-cert");

  const auto& wrong = by["wronghost.test"];
  REQUIRE(wrong.tls);
  CHECK(wrong.tls->chain_valid);
  CHECK_FALSE(wrong.tls->hostname_match);
  CHECK(wrong.tls->grade == "M");
  CHECK(rules(wrong).count("scan.tls.name-mismatch"));

  const auto& legacy = by["legacy.test"];
  REQUIRE(legacy.tls);
  CHECK(legacy.tls->reachable);
  CHECK_FALSE(legacy.tls->offered.at("TLSv1.2"));
  CHECK_FALSE(legacy.tls->offered.at("TLSv1.3"));
  CHECK((legacy.tls->offered.at("TLSv1") || legacy.tls->offered.at("TLSv1.1")));
  CHECK(legacy.tls->grade == "C");

  const auto& exposed = by["exposed.test"];
  REQUIRE(exposed.status == "ok");
  CHECK(rules(exposed).count("scan.exposure.git-head"));
  CHECK(rules(exposed).count("scan.exposure.env"));
  for (const auto& f : exposed.findings) CHECK(f.evidence.find("s3cr3t") == std::string::npos);

  const auto& loop = by["loop.test"];
  CHECK(loop.status == "error");
  CHECK(loop.error.starts_with("redirect-loop"));

  const auto& down = by["hardened.test:1"];
  CHECK(down.status == "error");
  CHECK(down.error.starts_with("connect"));
}

TEST_CASE("nginx: TLS grade caps each server posture earns", "[scan][nginx][tls]") {
  opskit::test::NginxFixture nginx;
  if (!nginx.ok()) {
    WARN("skipping: " << nginx.error());
    return;
  }
  TlsOptions opt;
  opt.ca_file = nginx.ca_file();
  opt.timeout_ms = 3000;
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto probe = [&](const std::string& name) {
    return probe_tls("127.0.0.1", nginx.tls_ports().at(name), name, opt, now);
  };
  auto has = [](const TlsReport& r, const std::string& id) {
    return std::find(r.cap_ids.begin(), r.cap_ids.end(), id) != r.cap_ids.end();
  };

  auto tls10 = probe("tls10.test");
  REQUIRE(tls10.reachable);
  CHECK(tls10.offered.at("TLSv1"));
  CHECK(tls10.offered.at("TLSv1.2"));
  CHECK_FALSE(tls10.offered.at("TLSv1.1"));
  CHECK(has(tls10, "legacy-offered"));
  CHECK(tls10.grade == "B");

  auto nofs = probe("nofs.test");
  REQUIRE(nofs.reachable);
  CHECK(nofs.cipher == "AES128-GCM-SHA256");
  CHECK_FALSE(nofs.forward_secrecy);
  CHECK(nofs.aead);
  CHECK(nofs.key_type == "RSA");
  CHECK(nofs.key_bits == 2048);
  CHECK(has(nofs, "no-forward-secrecy"));
  CHECK(nofs.grade == "B");

  auto noaead = probe("noaead.test");
  REQUIRE(noaead.reachable);
  CHECK(noaead.forward_secrecy);
  CHECK_FALSE(noaead.aead);
  CHECK(has(noaead, "no-aead"));
  CHECK(noaead.grade == "B");

  // A default client refuses a 1024-bit group; the scanner still sees the server and grades it.
  auto weakdh = probe("weakdh.test");
  REQUIRE(weakdh.reachable);
  CHECK(weakdh.offered.at("TLSv1.2"));
  CHECK(weakdh.dh_bits == 1024);
  CHECK(weakdh.forward_secrecy);
  CHECK(has(weakdh, "weak-dh"));
  CHECK(weakdh.grade == "B");

  // What Debian's OpenSSL cannot speak is marked as not probed, never as passed.
  CHECK_FALSE(weakdh.probed.at("SSLv2"));
  CHECK(weakdh.probed.at("DHE"));
}

TEST_CASE("nginx: --rate holds per host, seen from the server's access log", "[scan][nginx][rate]") {
  opskit::test::NginxFixture nginx;
  if (!nginx.ok()) {
    WARN("skipping: " << nginx.error());
    return;
  }
  const double rate = 8;
  TargetList list;
  for (const char* host : {"hardened.test", "noheaders.test"})
    for (const char* path : {"/", "/a", "/b"}) {
      Target t;
      t.url = nginx.url(host, path);
      list.targets.push_back(t);
    }
  ScanOptions opt;
  opt.resolve = nginx.resolve();
  opt.tls = false;  // handshakes are not HTTP requests; the log counts requests
  opt.per_host_rate = rate;
  opt.per_host = 4;  // several in flight at once: the rate, not the cap, must do the limiting
  opt.connect_timeout_ms = 3000;
  CurlOptions co;
  co.user_agent = "opskit-scan-endpoint/test";
  co.resolve = opt.resolve;
  co.ca_file = nginx.ca_file();
  auto transport = make_curl_transport(co);
  auto results = scan_targets(list, AllowList{{"*.test"}}, opt, *transport);
  for (const auto& r : results) CHECK(r.status == "ok");

  // Request start times per host, as nginx saw them: end time minus request time.
  std::map<std::string, std::vector<double>> starts;
  std::ifstream log(nginx.access_log());
  std::string line;
  while (std::getline(log, line)) {
    std::istringstream in(line);
    double end = 0, took = 0;
    std::string host;
    if (in >> end >> took >> host) starts[host].push_back(end - took);
  }
  for (const char* host : {"hardened.test", "noheaders.test"}) {
    INFO(host);
    auto& t = starts[host];
    std::sort(t.begin(), t.end());
    REQUIRE(t.size() > 3 * rate);  // the exposure checks make plenty of requests per target
    // No one-second window holds more than `rate` requests: any rate+1
    // consecutive requests span a second (less 50 ms of logging jitter).
    double tightest = 1e9;
    for (size_t i = 0; i + static_cast<size_t>(rate) < t.size(); ++i)
      tightest = std::min(tightest, t[i + static_cast<size_t>(rate)] - t[i]);
    CHECK(tightest >= 0.95);
    CHECK(t.back() - t.front() >= (static_cast<double>(t.size()) - 1) / rate - 0.1);
  }
}
