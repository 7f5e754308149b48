#include "nginx_fixture.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "test_paths.hpp"

extern char** environ;

namespace opskit::test {
namespace {

void write(const std::string& path, const std::string& content) { std::ofstream(path) << content; }

}  // namespace

NginxFixture::NginxFixture() {
  if (access("/usr/sbin/nginx", X_OK) != 0) {
    error_ = "nginx not installed (/usr/sbin/nginx)";
    return;
  }
  dir_ = temp_dir("nginx");
  const std::string d = dir_;
  write(d + "/ca.cnf",
        "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndir = " + d + "\ndatabase = " + d + "/index.txt\nnew_certs_dir = " + d +
            "\nserial = " + d + "/serial\ndefault_md = sha256\npolicy = policy_any\ncopy_extensions = copy\nunique_subject = no\n"
            "[ policy_any ]\ncommonName = supplied\n");
  write(d + "/index.txt", "");
  write(d + "/serial", "1000\n");
  std::string script =
      "set -e\ncd '" + d + "'\n"
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 30 "
      "-subj /CN=opskit-test-ca 2>/dev/null\n"
      "mk() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr -subj /CN=$2 "
      "-addext subjectAltName=DNS:$2 2>/dev/null; openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in $1.csr "
      "-out $1.crt -startdate $3 -enddate $4 2>/dev/null; }\n"
      "for n in hardened noheaders exposed loop legacy; do mk $n $n.test 20250101000000Z 20991231000000Z; done\n"
      "mk expired expired.test 20200101000000Z 20200201000000Z\n"
      "mk wronghost other.test 20250101000000Z 20991231000000Z\n"
      "for n in tls10 noaead; do mk $n $n.test 20250101000000Z 20991231000000Z; done\n"
      "mkrsa() { openssl req -new -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj /CN=$1.test "
      "-addext subjectAltName=DNS:$1.test 2>/dev/null; openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in $1.csr "
      "-out $1.crt -startdate 20250101000000Z -enddate 20991231000000Z 2>/dev/null; }\n"
      "mkrsa nofs\nmkrsa weakdh\n"
      "openssl dhparam -dsaparam -out dh1024.pem 1024 2>/dev/null\n";
  write(d + "/certs.sh", script);
  auto r = run_command("bash '" + d + "/certs.sh'");
  if (r.exit_code != 0) {
    error_ = "could not make certificates: " + r.err;
    return;
  }
  ca_file_ = d + "/ca.crt";
  https_port_ = opskit::test::free_loopback_port();
  legacy_port_ = opskit::test::free_loopback_port();
  http_port_ = opskit::test::free_loopback_port();
  std::string hp = std::to_string(https_port_), lp = std::to_string(legacy_port_), pp = std::to_string(http_port_);
  auto server = [&](const std::string& name, const std::string& cert, const std::string& body) {
    return "  server {\n    listen 127.0.0.1:" + hp + " ssl;\n    server_name " + name + ";\n    ssl_certificate " + d + "/" +
           cert + ".crt;\n    ssl_certificate_key " + d + "/" + cert + ".key;\n" + body + "  }\n";
  };
  // Protocols and suites are settled before SNI picks a server block, so
  // each TLS posture gets a port of its own.
  auto own_port = [&](const std::string& name, const std::string& tls) {
    int port = opskit::test::free_loopback_port();
    tls_ports_[name] = port;
    std::string cert = name.substr(0, name.find('.'));
    return "  server {\n    listen 127.0.0.1:" + std::to_string(port) + " ssl;\n    server_name " + name + ";\n    ssl_certificate " +
           d + "/" + cert + ".crt;\n    ssl_certificate_key " + d + "/" + cert + ".key;\n" + tls +
           "    location / { return 200 '<html>" + cert + "</html>'; }\n  }\n";
  };
  std::string hardened_headers =
      "    add_header Content-Security-Policy \"default-src 'none'; frame-ancestors 'none'; form-action 'self'\" always;\n"
      "    add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains\" always;\n"
      "    add_header X-Content-Type-Options nosniff always;\n"
      "    add_header Referrer-Policy no-referrer always;\n"
      "    add_header Cross-Origin-Resource-Policy same-origin always;\n"
      "    add_header Cross-Origin-Opener-Policy same-origin always;\n"
      "    add_header Permissions-Policy \"camera=()\" always;\n";
  std::string conf =
      "pid " + d + "/nginx.pid;\nerror_log " + d + "/error.log;\nevents { worker_connections 4096; }\n"
      "http {\n  log_format timing '$msec $request_time $host $request_uri';\n  access_log " + d + "/access.log timing;\n  server_tokens on;\n  default_type text/html;\n"
      "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n  fastcgi_temp_path " + d + "/fcgi;\n"
      "  uwsgi_temp_path " + d + "/uwsgi;\n  scgi_temp_path " + d + "/scgi;\n"
      "  ssl_protocols TLSv1.2 TLSv1.3;\n" +
      server("hardened.test", "hardened", hardened_headers + "    location / { return 200 '<html><p>ok</p></html>'; }\n") +
      server("noheaders.test", "noheaders", "    location / { return 200 '<html>plain</html>'; }\n") +
      server("expired.test", "expired", "    location / { return 200 '<html>old</html>'; }\n") +
      server("wronghost.test", "wronghost", "    location / { return 200 '<html>who</html>'; }\n") +
      server("exposed.test", "exposed",
             "    location = /.git/HEAD { default_type text/plain; return 200 'ref: refs/heads/main\n'; }\n"
             "    location = /.env { default_type text/plain; return 200 'APP_ENV=production\nDB_PASSWORD=s3cr3t-value-123\n'; }\n"
             "    location = / { return 200 '<html>home</html>'; }\n    location / { return 404; }\n") +
      server("loop.test", "loop",
             "    location = / { return 302 https://loop.test:" + hp + "/x; }\n"
             "    location = /x { return 302 https://loop.test:" + hp + "/; }\n") +
      "  server {\n    listen 127.0.0.1:" + lp + " ssl;\n    server_name legacy.test;\n    ssl_certificate " + d +
      "/legacy.crt;\n    ssl_certificate_key " + d + "/legacy.key;\n    ssl_protocols TLSv1 TLSv1.1;\n"
      "    ssl_ciphers ALL:@SECLEVEL=0;\n    location / { return 200 '<html>legacy</html>'; }\n  }\n" +
      own_port("tls10.test", "    ssl_protocols TLSv1 TLSv1.2;\n    ssl_ciphers ALL:@SECLEVEL=0;\n") +
      own_port("nofs.test", "    ssl_protocols TLSv1.2;\n    ssl_ciphers AES128-GCM-SHA256;\n") +
      own_port("noaead.test", "    ssl_protocols TLSv1.2;\n    ssl_ciphers ECDHE-ECDSA-AES128-SHA256;\n") +
      own_port("weakdh.test", "    ssl_protocols TLSv1.2;\n    ssl_ciphers DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0;\n"
                              "    ssl_dhparam " + d + "/dh1024.pem;\n") +
      "  server {\n    listen 127.0.0.1:" + pp + ";\n    server_name hardened.test;\n"
      "    location / { return 301 https://hardened.test:" + hp + "$request_uri; }\n  }\n"
      "  server {\n    listen 127.0.0.1:" + pp + ";\n    server_name noheaders.test;\n"
      "    location / { return 200 '<html>plain http</html>'; }\n  }\n"
      "}\n";
  write(d + "/nginx.conf", conf);
  std::vector<std::string> args = {"/usr/sbin/nginx", "-p", d, "-c", d + "/nginx.conf", "-g", "daemon off; master_process off;"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    error_ = "could not start nginx";
    return;
  }
  for (int i = 0; i < 200; ++i) {
    bool all = opskit::test::loopback_port_open(https_port_) && opskit::test::loopback_port_open(legacy_port_) && opskit::test::loopback_port_open(http_port_);
    for (const auto& [name, port] : tls_ports_) all = all && opskit::test::loopback_port_open(port);
    if (all) {
      pid_ = pid;
      return;
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  std::ifstream log(d + "/error.log");
  error_ = "nginx did not start: " + std::string(std::istreambuf_iterator<char>(log), {});
}

NginxFixture::~NginxFixture() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::vector<std::string> NginxFixture::resolve() const {
  std::vector<std::string> out;
  for (const auto& n : nginx_fixture_names())
    for (int p : {https_port_, legacy_port_, http_port_}) out.push_back(n + ":" + std::to_string(p) + ":127.0.0.1");
  for (const auto& [name, port] : tls_ports_) out.push_back(name + ":" + std::to_string(port) + ":127.0.0.1");
  return out;
}

std::string NginxFixture::url(const std::string& host, const std::string& path) const {
  auto own = tls_ports_.find(host);
  int port = own != tls_ports_.end() ? own->second : host == "legacy.test" ? legacy_port_ : https_port_;
  return "https://" + host + ":" + std::to_string(port) + path;
}

}  // namespace opskit::test
