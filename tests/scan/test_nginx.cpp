// The scanner against a real nginx on loopback, one server block per posture.
#include <catch2/catch.hpp>

#include <chrono>
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
