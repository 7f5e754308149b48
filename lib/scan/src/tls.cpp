#include "scan/tls.hpp"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

namespace opskit::scan {
namespace {

using Clock = std::chrono::steady_clock;

// Non-blocking connect with a deadline; -1 on failure (`err` says why).
int connect_with_timeout(const std::string& host, int port, int timeout_ms, std::string& err) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) {
    err = "dns";
    return -1;
  }
  int fd = -1;
  err = "connect";
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, timeout_ms);
      if (rc == 1) {
        int so = 0;
        socklen_t len = sizeof so;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
        rc = so == 0 ? 0 : -1;
      } else {
        if (rc == 0) err = "timeout";
        rc = -1;
      }
    }
    if (rc == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd >= 0) err.clear();
  return fd;
}

struct Handshake {
  bool ok = false;
  std::string error;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, SSL_free};
  int fd = -1;
  ~Handshake() {
    if (fd >= 0) close(fd);
  }
};

// One SSL_CTX per (version range, cipher list, CA file) for the whole
// process: creating one costs milliseconds under OpenSSL 3 and SSL_new on a
// shared context is thread-safe, so every probe thread reuses them. nullptr
// when this OpenSSL cannot speak what is asked (e.g. no RC4 suites at all).
// Probes other than the default client lower the security level: they ask
// what the server offers, not what a default client would accept.
SSL_CTX* make_ctx(const TlsOptions& opt, int min_version = 0, int max_version = 0, const char* ciphers = nullptr) {
  static std::mutex mu;
  // Owned by the cache and freed at exit (so LeakSanitizer stays quiet).
  static std::map<std::tuple<int, int, std::string, std::string>, std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_tuple(min_version, max_version, std::string(ciphers ? ciphers : ""), opt.ca_file);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second.get();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx && min_version) {
    SSL_CTX_set_security_level(ctx, 0);
    bool ok = SSL_CTX_set_min_proto_version(ctx, min_version) == 1 &&
              SSL_CTX_set_max_proto_version(ctx, max_version ? max_version : min_version) == 1 &&
              (min_version >= TLS1_3_VERSION || SSL_CTX_set_cipher_list(ctx, ciphers ? ciphers : "ALL:@SECLEVEL=0") == 1);
    if (!ok) {
      SSL_CTX_free(ctx);
      ctx = nullptr;
    }
  }
  if (ctx) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // we read the verdict, we never abort on it
    if (!opt.ca_file.empty()) SSL_CTX_load_verify_locations(ctx, opt.ca_file.c_str(), nullptr);
    else SSL_CTX_set_default_verify_paths(ctx);
  }
  ERR_clear_error();
  cache.emplace(key, std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>(ctx, SSL_CTX_free));
  return ctx;
}

void handshake(Handshake& h, SSL_CTX* ctx, const std::string& host, int port, const std::string& sni, int timeout_ms) {
  if (!ctx) {
    h.error = "handshake: not supported by this OpenSSL";
    return;
  }
  h.fd = connect_with_timeout(host, port, timeout_ms, h.error);
  if (h.fd < 0) return;
  h.ssl.reset(SSL_new(ctx));
  SSL* ssl = h.ssl.get();
  if (!sni.empty() && !std::isdigit(static_cast<unsigned char>(sni[0])) && sni.find(':') == std::string::npos)
    SSL_set_tlsext_host_name(ssl, sni.c_str());
  SSL_set_fd(ssl, h.fd);
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl);
    if (rc == 1) {
      h.ok = true;
      return;
    }
    int e = SSL_get_error(ssl, rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      unsigned long code = ERR_peek_last_error();
      char buf[160] = "handshake failed";
      if (code) ERR_error_string_n(code, buf, sizeof buf);
      h.error = std::string("handshake: ") + buf;
      return;
    }
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) {
      h.error = "timeout";
      return;
    }
    pollfd p{h.fd, static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
    if (poll(&p, 1, left) <= 0) {
      h.error = "timeout";
      return;
    }
  }
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
  int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
  pollfd p{fd, events, 0};
  return left > 0 && poll(&p, 1, left) == 1;
}

// "Is this version range offered?" needs only the server's first answer:
// OpenSSL writes the ClientHello into memory, we send it and read the first
// record ourselves. A ServerHello names the version the server chose; an
// alert or a closed connection means none of the range. The certificate and
// key exchange that follow are never parsed, which is most of a handshake's
// cost. Returns the version, or 0.
int server_hello_version(SSL_CTX* ctx, const std::string& host, int port, const std::string& sni, int timeout_ms) {
  if (!ctx) return 0;
  std::string err;
  int fd = connect_with_timeout(host, port, timeout_ms, err);
  if (fd < 0) return 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx), SSL_free);
  int version = 0;
  if (ssl) {
    if (!sni.empty() && !std::isdigit(static_cast<unsigned char>(sni[0])) && sni.find(':') == std::string::npos)
      SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO* wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl.get(), rbio, wbio);  // owned by the SSL from here
    ERR_clear_error();
    SSL_connect(ssl.get());  // writes the ClientHello, then wants to read
    char* hello = nullptr;
    long n = BIO_get_mem_data(wbio, &hello);
    bool sent = n > 0;
    for (long off = 0; sent && off < n;) {
      ssize_t w = wait_for(fd, POLLOUT, deadline) ? send(fd, hello + off, static_cast<size_t>(n - off), MSG_NOSIGNAL) : -1;
      if (w <= 0) sent = false;
      else off += w;
    }
    // Record header (type, version, length) and the handshake header
    // (type, length) before the ServerHello's version: 11 bytes.
    unsigned char head[11];
    size_t got = 0;
    while (sent && got < sizeof head && wait_for(fd, POLLIN, deadline)) {
      ssize_t r = recv(fd, head + got, sizeof head - got, 0);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    if (got == sizeof head && head[0] == SSL3_RT_HANDSHAKE && head[5] == SSL3_MT_SERVER_HELLO) version = head[9] << 8 | head[10];
    ERR_clear_error();
  }
  close(fd);
  return version;
}

bool text_contains_md5(const std::string& s) {
  for (size_t i = 0; i + 3 <= s.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) == 'm' && std::tolower(static_cast<unsigned char>(s[i + 1])) == 'd' &&
        s[i + 2] == '5')
      return true;
  return false;
}

// Finite-field DH group size of the negotiated key exchange (0 for ECDHE/none).
int dh_bits_of(SSL* ssl) {
  EVP_PKEY* tmp = nullptr;
  if (!SSL_get_peer_tmp_key(ssl, &tmp) || !tmp) return 0;
  int bits = EVP_PKEY_get_base_id(tmp) == EVP_PKEY_DH ? EVP_PKEY_get_bits(tmp) : 0;
  EVP_PKEY_free(tmp);
  return bits;
}

std::string name_of(X509_NAME* n) {
  if (!n) return {};
  char buf[512];
  X509_NAME_oneline(n, buf, sizeof buf);
  return buf;
}

}  // namespace

void apply_tls_caps(TlsReport& r) {
  r.caps.clear();
  r.cap_ids.clear();
  if (!r.reachable) {
    r.grade.clear();
    return;
  }
  auto cap = [&](const char* id, const std::string& reason) {
    r.cap_ids.push_back(id);
    r.caps.push_back(reason);
  };
  auto offered = [&](const char* v) { return r.offered.count(v) && r.offered.at(v); };
  if (!r.chain_valid) cap("untrusted", "T: certificate chain not trusted" + (r.verify_error.empty() ? "" : " (" + r.verify_error + ")"));
  if (r.expired) cap("expired", "T: certificate expired");
  if (!r.hostname_match) cap("name-mismatch", "M: certificate does not match the host name");
  if (r.ssl2) cap("ssl2", "F: SSL 2 offered");
  if (r.insecure_renegotiation) cap("insecure-renegotiation", "F: insecure renegotiation");
  if (r.export_suites) cap("export-suites", "F: export cipher suites offered");
  if (r.rc4_only) cap("rc4-only", "F: only RC4 cipher suites");
  if (r.key_type == "RSA" && r.key_bits > 0 && r.key_bits < 1024) cap("weak-key", "F: RSA key under 1024 bits");
  if (r.dh_bits > 0 && r.dh_bits < 1024) cap("weak-dh", "F: DH group under 1024 bits");
  if (text_contains_md5(r.signature_algorithm)) cap("md5-signature", "F: MD5 certificate signature");
  if (r.ssl3) cap("ssl3", "C: SSL 3 offered (POODLE)");
  if (!offered("TLSv1.2") && !offered("TLSv1.3")) cap("legacy-only", "C: neither TLS 1.2 nor TLS 1.3 offered (only legacy TLS)");
  bool modern_legacy_suites = offered("TLSv1.1") || offered("TLSv1.2");  // suites below TLS 1.3 with TLS 1.1+
  if (r.rc4 && modern_legacy_suites) cap("rc4", "C: RC4 with TLS 1.1 or newer");
  if (r.triple_des && modern_legacy_suites) cap("3des", "C: 64-bit block cipher (3DES) with TLS 1.1 or newer (Sweet32)");
  if (offered("TLSv1") || offered("TLSv1.1")) cap("legacy-offered", "B: TLS 1.0/1.1 still offered");
  if (!r.forward_secrecy) cap("no-forward-secrecy", "B: negotiated suite has no forward secrecy");
  if (!r.aead) cap("no-aead", "B: negotiated suite is not AEAD");
  if (r.rc4 && !r.rc4_only && !modern_legacy_suites) cap("rc4", "B: RC4 offered");
  if (r.key_type == "RSA" && r.key_bits >= 1024 && r.key_bits < 2048) cap("weak-key", "B: RSA key under 2048 bits");
  if (r.dh_bits >= 1024 && r.dh_bits < 2048) cap("weak-dh", "B: DH group under 2048 bits (" + std::to_string(r.dh_bits) + ")");
  // Worst cap wins; T and M rank below F as SSL Labs shows them instead of a letter grade.
  static const std::string order = "TMFCB";
  r.grade = "A";
  for (const auto& reason : r.caps) {
    size_t rank = order.find(reason[0]);
    if (r.grade == "A" || rank < order.find(r.grade[0])) r.grade = std::string(1, reason[0]);
  }
}

TlsReport probe_tls(const std::string& connect_host, int port, const std::string& sni, const TlsOptions& opt,
                    int64_t now_unix) {
  TlsReport r;
  // The session a default client negotiates comes first: it tells whether
  // TLS 1.3 is offered (a default client asks for it) and, when it settles
  // for less, that nothing newer is; only then are older versions probed.
  Handshake h;
  handshake(h, make_ctx(opt), connect_host, port, sni, opt.timeout_ms);
  if (!h.ok && (h.error == "dns" || h.error == "connect")) {
    r.error = h.error;  // nothing listens: every probe would fail the same way
    return r;
  }
  std::string first_error = h.ok ? "" : h.error;
  if (!h.ok) {
    // Refused by (or refusing) a default client: the server may speak only
    // what the default security level forbids (legacy versions, small keys
    // or DH groups). Ask again with every version and suite allowed.
    Handshake weak;
    handshake(weak, make_ctx(opt, TLS1_VERSION, TLS1_3_VERSION), connect_host, port, sni, opt.timeout_ms);
    std::swap(h.ok, weak.ok);
    std::swap(h.fd, weak.fd);
    std::swap(h.ssl, weak.ssl);
  }
  int negotiated = h.ok ? SSL_version(h.ssl.get()) : 0;
  static const std::pair<const char*, int> kVersions[] = {
      {"TLSv1.3", TLS1_3_VERSION}, {"TLSv1.2", TLS1_2_VERSION}, {"TLSv1.1", TLS1_1_VERSION}, {"TLSv1", TLS1_VERSION}};
  for (auto [name, v] : kVersions) r.offered[name] = v == negotiated;
  r.reachable = h.ok;
  if (!r.reachable) {
    r.error = first_error.empty() ? "handshake failed" : first_error;
    return r;
  }
  // Older versions, newest first: offering the range [floor, below] makes a
  // server answer with the highest it supports, so each probe settles every
  // version between its answer and `below` (one probe for a server without
  // legacy versions, instead of one per version).
  auto name_of_version = [&](int v) {
    for (auto [name, ver] : kVersions)
      if (ver == v) return name;
    return "";
  };
  int floor = opt.probe_legacy ? TLS1_VERSION : TLS1_2_VERSION;
  for (int below = std::min(negotiated - 1, TLS1_2_VERSION); below >= floor;) {
    int v = server_hello_version(make_ctx(opt, floor, below), connect_host, port, sni, opt.timeout_ms);
    if (v < floor || v > below) break;
    r.offered[name_of_version(v)] = true;
    below = v - 1;
  }
  // Suites below TLS 1.3 the rating guide caps on. Probes this OpenSSL
  // cannot make (Debian builds without SSL 3, RC4, 3DES or export suites)
  // are marked as not probed rather than passed.
  r.probed["SSLv2"] = false;
#ifndef OPENSSL_NO_SSL3
  {
    SSL_CTX* ctx = make_ctx(opt, SSL3_VERSION, SSL3_VERSION);
    r.probed["SSLv3"] = ctx != nullptr;
    Handshake p;
    if (ctx) handshake(p, ctx, connect_host, port, sni, opt.timeout_ms);
    r.ssl3 = p.ok;
  }
#else
  r.probed["SSLv3"] = false;
#endif
  bool pre13 = r.offered["TLSv1.2"] || r.offered["TLSv1.1"] || r.offered["TLSv1"];
  auto suite_probe = [&](const char* label, const char* ciphers, Handshake& p) {
    SSL_CTX* ctx = make_ctx(opt, TLS1_VERSION, TLS1_2_VERSION, ciphers);
    r.probed[label] = ctx != nullptr;
    if (ctx && pre13) handshake(p, ctx, connect_host, port, sni, opt.timeout_ms);
    return p.ok;
  };
  {
    Handshake p;
    // DHE suites authenticate with RSA or DSA: a server whose certificate
    // holds another key type cannot offer them, so it is not asked.
    X509* peer = SSL_get0_peer_certificate(h.ssl.get());
    EVP_PKEY* key = peer ? X509_get0_pubkey(peer) : nullptr;
    int id = key ? EVP_PKEY_get_base_id(key) : 0;
    bool dhe_capable = !key || id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS || id == EVP_PKEY_DSA;
    if (dhe_capable && suite_probe("DHE", "kDHE:@SECLEVEL=0", p)) r.dh_bits = dh_bits_of(p.ssl.get());
    if (!dhe_capable) r.probed["DHE"] = true;  // decided by the certificate
  }
  {
    Handshake p;
    r.triple_des = suite_probe("3DES", "3DES:@SECLEVEL=0", p) && SSL_version(p.ssl.get()) >= TLS1_1_VERSION;
  }
  {
    Handshake p, other;
    r.rc4 = suite_probe("RC4", "RC4:@SECLEVEL=0", p);
    r.rc4_only = r.rc4 && !suite_probe("non-RC4", "ALL:!RC4:@SECLEVEL=0", other) && !r.offered["TLSv1.3"];
  }
  {
    Handshake p;
    r.export_suites = suite_probe("EXPORT", "EXP:@SECLEVEL=0", p);
  }
  SSL* ssl = h.ssl.get();
  r.version = SSL_get_version(ssl);
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
  if (c) {
    r.cipher = SSL_CIPHER_get_name(c);
    int kx = SSL_CIPHER_get_kx_nid(c);
    r.forward_secrecy = kx == NID_kx_ecdhe || kx == NID_kx_dhe || kx == NID_kx_any || kx == NID_kx_ecdhe_psk ||
                        kx == NID_kx_dhe_psk;
    r.aead = SSL_CIPHER_is_aead(c) != 0;
  }
  if (int bits = dh_bits_of(ssl); bits && (!r.dh_bits || bits < r.dh_bits)) r.dh_bits = bits;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert) {
    long vr = SSL_get_verify_result(ssl);
    r.chain_valid = vr == X509_V_OK;
    if (!r.chain_valid) r.verify_error = X509_verify_cert_error_string(vr);
    if (vr == X509_V_ERR_CERT_HAS_EXPIRED) r.expired = true;
    std::string name = sni;
    if (!name.empty() && (std::isdigit(static_cast<unsigned char>(name[0])) || name.find(':') != std::string::npos))
      r.hostname_match = X509_check_ip_asc(cert, name.c_str(), 0) == 1;
    else
      r.hostname_match = X509_check_host(cert, name.c_str(), name.size(), 0, nullptr) == 1;
    r.subject = name_of(X509_get_subject_name(cert));
    r.issuer = name_of(X509_get_issuer_name(cert));
    const ASN1_TIME* na = X509_get0_notAfter(cert);
    ASN1_TIME* now = ASN1_TIME_set(nullptr, static_cast<time_t>(now_unix));
    int days = 0, secs = 0;
    if (now && ASN1_TIME_diff(&days, &secs, now, na)) {
      r.days_to_expiry = days;
      if (days < 0 || (days == 0 && secs < 0)) r.expired = true;
    }
    ASN1_TIME_free(now);
    tm t{};
    if (ASN1_TIME_to_tm(na, &t)) {
      char buf[32];
      strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &t);
      r.not_after = buf;
    }
    EVP_PKEY* key = X509_get0_pubkey(cert);
    if (key) {
      r.key_bits = EVP_PKEY_get_bits(key);
      int id = EVP_PKEY_get_base_id(key);
      r.key_type = id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_EC ? "EC" : id == EVP_PKEY_ED25519 ? "Ed25519" : OBJ_nid2sn(id);
    }
    int sig = X509_get_signature_nid(cert);
    r.signature_algorithm = sig ? OBJ_nid2ln(sig) : "";
    X509_free(cert);
  }
  apply_tls_caps(r);
  return r;
}

}  // namespace opskit::scan
