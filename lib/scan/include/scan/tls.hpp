#pragma once
// TLS posture of one host:port with OpenSSL: which protocol versions are
// offered (TLS 1.0 and 1.1 probed on purpose with the security level lowered,
// so "only legacy TLS" is told apart from "unreachable"), the negotiated
// version and cipher (forward secrecy, AEAD), and the certificate (chain
// validity against the system store or a CA file, host name match, days to
// expiry, key type and size, signature algorithm).
//
// Grade caps follow SSL Labs' rating guide: T (untrusted chain or expired
// certificate), M (name mismatch), F (key under 1024 bits), C (no TLS 1.2 or
// 1.3 at all), B (TLS 1.0/1.1 still offered, no forward secrecy, no AEAD
// suite, RSA key under 2048 bits). Without a cap the TLS grade is A.
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
  std::string grade;            // "A", "B", "C", "F", "M", "T" ("" when unreachable)
  std::vector<std::string> caps;  // reasons, e.g. "B: TLS 1.0 offered"
};

// `connect_host` is the address to connect to (a name or an IP); `sni` the
// server name sent and checked against the certificate.
TlsReport probe_tls(const std::string& connect_host, int port, const std::string& sni, const TlsOptions& opt,
                    int64_t now_unix);

// Applies the caps to a report (pure; used by probe_tls and by tests).
void apply_tls_caps(TlsReport& r);

}  // namespace opskit::scan
