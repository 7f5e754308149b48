#pragma once
// TLS posture of one host:port with OpenSSL: which protocol versions are
// offered (TLS 1.0 and 1.1 probed on purpose with the security level lowered,
// so "only legacy TLS" is told apart from "unreachable"), the negotiated
// version and cipher (forward secrecy, AEAD), and the certificate (chain
// validity against the system store or a CA file, host name match, days to
// expiry, key type and size, signature algorithm).
//
// Grade caps follow SSL Labs' Rating Guide and its published updates (the
// worst cap wins; T and M are shown in place of a letter):
//   T  certificate chain not trusted, or certificate expired
//   M  certificate name does not match the host
//   F  SSL 2 offered; insecure renegotiation (no RFC 5746 support);
//      export suites; only RC4 suites; RSA key or DH group under 1024 bits;
//      MD5 certificate signature
//   C  SSL 3 offered (POODLE); neither TLS 1.2 nor 1.3; RC4 or a 64-bit
//      block cipher (3DES, Sweet32) with TLS 1.1 or newer (we cap when the
//      server accepts them at all; SSL Labs only when a modern browser
//      would negotiate them)
//   B  TLS 1.0/1.1 offered; no forward secrecy; no AEAD suite; RC4 with
//      TLS 1.0 only; RSA key or DH group under 2048 bits
// Without a cap the TLS grade is A. What Debian's OpenSSL cannot speak as a
// client (SSL 2, SSL 3, export and RC4 suites) is reported as not probed
// (`probed`); apply_tls_caps still grades such facts when a report has them.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace opskit::scan {

struct TlsOptions {
  std::string ca_file;        // empty = system store
  int timeout_ms = 4000;      // per handshake
  bool probe_legacy = true;   // TLS 1.0 / 1.1 probes
};

struct TlsReport {
  bool reachable = false;       // some handshake succeeded
  std::string error;            // when no handshake succeeded: "connect", "timeout", "handshake: ..."
  std::map<std::string, bool> offered;  // "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"
  std::string version, cipher;
  bool forward_secrecy = false, aead = false;
  bool chain_valid = false;
  std::string verify_error;
  bool hostname_match = false;
  bool expired = false;
  long days_to_expiry = 0;
  std::string not_after, subject, issuer, key_type, signature_algorithm;
  int key_bits = 0;
  int dh_bits = 0;              // finite-field DH group of the negotiated kx (0 = ECDHE or none)
  bool ssl2 = false, ssl3 = false;             // offered (only when probed)
  bool insecure_renegotiation = false;         // a TLS <= 1.2 handshake without RFC 5746
  bool rc4 = false, rc4_only = false, export_suites = false, triple_des = false;  // suites offered
  std::map<std::string, bool> probed;          // "SSLv3", "RC4", "3DES", "EXPORT": whether this client could test it
  std::string grade;            // "A", "B", "C", "F", "M", "T" ("" when unreachable)
  std::vector<std::string> caps;  // reasons, e.g. "B: TLS 1.0 offered"
  std::vector<std::string> cap_ids;  // the same caps as finding ids ("legacy-offered"), for scan.tls.<id>
};

// `connect_host` is the address to connect to (a name or an IP); `sni` the
// server name sent and checked against the certificate.
TlsReport probe_tls(const std::string& connect_host, int port, const std::string& sni, const TlsOptions& opt,
                    int64_t now_unix);

// Applies the caps to a report (pure; used by probe_tls and by tests).
void apply_tls_caps(TlsReport& r);

}  // namespace opskit::scan
