// SSL Labs grade caps, one per rule, on reports a server could not be made to
// produce with Debian's OpenSSL (SSL 2/3, RC4, 3DES, export suites, insecure
// renegotiation, MD5 signatures); the caps nginx can show are checked against
// the real server blocks in test_nginx.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

#include "scan/tls.hpp"

using namespace opskit::scan;

namespace {

TlsReport good() {
  TlsReport r;
  r.reachable = true;
  r.offered = {{"TLSv1", false}, {"TLSv1.1", false}, {"TLSv1.2", true}, {"TLSv1.3", true}};
  r.version = "TLSv1.3";
  r.cipher = "TLS_AES_256_GCM_SHA384";
  r.forward_secrecy = r.aead = r.chain_valid = r.hostname_match = true;
  r.key_type = "EC";
  r.key_bits = 256;
  r.signature_algorithm = "ecdsa-with-SHA256";
  return r;
}

bool has_id(const TlsReport& r, const std::string& id) {
  return std::find(r.cap_ids.begin(), r.cap_ids.end(), id) != r.cap_ids.end();
}

}  // namespace

TEST_CASE("TLS caps: one per rating-guide rule", "[scan][tls]") {
  struct Case {
    const char* name;
    std::function<void(TlsReport&)> change;
    const char* grade;
    const char* id;
  };
  const Case cases[] = {
      {"untrusted chain", [](TlsReport& r) { r.chain_valid = false; }, "T", "untrusted"},
      {"expired", [](TlsReport& r) { r.expired = true; }, "T", "expired"},
      {"name mismatch", [](TlsReport& r) { r.hostname_match = false; }, "M", "name-mismatch"},
      {"SSL 2", [](TlsReport& r) { r.ssl2 = true; }, "F", "ssl2"},
      {"insecure renegotiation", [](TlsReport& r) { r.insecure_renegotiation = true; }, "F", "insecure-renegotiation"},
      {"export suites", [](TlsReport& r) { r.export_suites = true; }, "F", "export-suites"},
      {"RC4 only", [](TlsReport& r) { r.rc4 = r.rc4_only = true; }, "F", "rc4-only"},
      {"RSA 512", [](TlsReport& r) { r.key_type = "RSA"; r.key_bits = 512; }, "F", "weak-key"},
      {"DH 768", [](TlsReport& r) { r.dh_bits = 768; }, "F", "weak-dh"},
      {"MD5 signature", [](TlsReport& r) { r.signature_algorithm = "md5WithRSAEncryption"; }, "F", "md5-signature"},
      {"SSL 3", [](TlsReport& r) { r.ssl3 = true; }, "C", "ssl3"},
      {"no TLS 1.2/1.3", [](TlsReport& r) { r.offered = {{"TLSv1", true}, {"TLSv1.1", true}, {"TLSv1.2", false}, {"TLSv1.3", false}}; }, "C", "legacy-only"},
      {"RC4 with TLS 1.2", [](TlsReport& r) { r.rc4 = true; }, "C", "rc4"},
      {"3DES with TLS 1.2", [](TlsReport& r) { r.triple_des = true; }, "C", "3des"},
      {"TLS 1.0 offered", [](TlsReport& r) { r.offered["TLSv1"] = true; }, "B", "legacy-offered"},
      {"TLS 1.1 offered", [](TlsReport& r) { r.offered["TLSv1.1"] = true; }, "B", "legacy-offered"},
      {"no forward secrecy", [](TlsReport& r) { r.forward_secrecy = false; }, "B", "no-forward-secrecy"},
      {"no AEAD", [](TlsReport& r) { r.aead = false; }, "B", "no-aead"},
      {"RSA 1024", [](TlsReport& r) { r.key_type = "RSA"; r.key_bits = 1024; }, "B", "weak-key"},
      {"DH 1024", [](TlsReport& r) { r.dh_bits = 1024; }, "B", "weak-dh"},
  };
  TlsReport base = good();
  apply_tls_caps(base);
  CHECK(base.grade == "A");
  CHECK(base.caps.empty());
  for (const auto& c : cases) {
    INFO(c.name);
    TlsReport r = good();
    c.change(r);
    apply_tls_caps(r);
    CHECK(r.grade == c.grade);
    CHECK(has_id(r, c.id));
    CHECK(r.caps.size() == r.cap_ids.size());
  }
}

TEST_CASE("TLS caps: RC4 with TLS 1.0 only is a B - the worst cap wins", "[scan][tls]") {
  TlsReport r = good();
  r.offered = {{"TLSv1", true}, {"TLSv1.1", false}, {"TLSv1.2", false}, {"TLSv1.3", false}};
  r.rc4 = true;
  apply_tls_caps(r);
  CHECK(r.grade == "C");  // no TLS 1.2 at all
  CHECK(has_id(r, "rc4"));
  CHECK(std::find(r.caps.begin(), r.caps.end(), "B: RC4 offered") != r.caps.end());

  TlsReport worst = good();
  worst.forward_secrecy = false;  // B
  worst.triple_des = true;        // C
  worst.dh_bits = 512;            // F
  worst.hostname_match = false;   // M
  apply_tls_caps(worst);
  CHECK(worst.grade == "M");
  worst.chain_valid = false;      // T outranks M
  apply_tls_caps(worst);
  CHECK(worst.grade == "T");

  TlsReport ec = good();
  ec.dh_bits = 0;  // ECDHE: no finite-field group to judge
  ec.key_bits = 256;
  apply_tls_caps(ec);
  CHECK(ec.grade == "A");

  TlsReport down;
  apply_tls_caps(down);
  CHECK(down.grade.empty());
}
