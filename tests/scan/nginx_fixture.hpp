#pragma once
// A real nginx on 127.0.0.1 for the scanner tests: a throw-away CA and
// certificates made with the openssl CLI (valid, expired, wrong host), and
// server blocks of differing posture. Nothing leaves loopback: every name
// resolves to 127.0.0.1 through --resolve entries.
#include <map>
#include <string>
#include <vector>

namespace opskit::test {

class NginxFixture {
 public:
  // Starts nginx; `error` says why when it could not (tests then skip).
  NginxFixture();
  ~NginxFixture();
  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  int https_port() const { return https_port_; }
  int legacy_port() const { return legacy_port_; }
  int http_port() const { return http_port_; }
  const std::string& ca_file() const { return ca_file_; }
  // Every request: "<end time, s.ms> <request time, s> <host> <uri>".
  std::string access_log() const { return dir_ + "/access.log"; }
  // Server names with a TLS posture of their own (own port): tls10.test (TLS 1.0 and 1.2),
  // nofs.test (static RSA key exchange), noaead.test (CBC suite), weakdh.test (1024-bit DH).
  const std::map<std::string, int>& tls_ports() const { return tls_ports_; }
  // curl --resolve entries for every name on every port.
  std::vector<std::string> resolve() const;
  std::string url(const std::string& host, const std::string& path = "/") const;

 private:
  std::string dir_, error_, ca_file_;
  int https_port_ = 0, legacy_port_ = 0, http_port_ = 0;
  std::map<std::string, int> tls_ports_;  // TLS postures on a port of their own
  int pid_ = -1;
};

// The server names the fixture serves.
inline const std::vector<std::string>& nginx_fixture_names() {
  static const std::vector<std::string> n = {"hardened.test", "noheaders.test", "expired.test", "wronghost.test",
                                             "exposed.test", "loop.test", "legacy.test"};
  return n;
}

}  // namespace opskit::test
