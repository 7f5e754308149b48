#include "list_server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "test_paths.hpp"

extern char** environ;

namespace opskit::screen::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

ListServer::ListServer(const std::string& data_dir) {
  if (access("/usr/sbin/nginx", X_OK) != 0) {
    error_ = "nginx not installed (/usr/sbin/nginx)";
    return;
  }
  dir_ = test::temp_dir("list-server");
  const std::string d = dir_;
  std::ofstream(d + "/server.ext") << "subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n"
                                      "extendedKeyUsage = serverAuth\n";
  auto r = test::run_command(
      "set -e; cd '" + d + "'; mkdir -p files\n"
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 "
      "-subj /CN=opskit-screen-test-ca 2>/dev/null\n"
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr "
      "-subj /CN=127.0.0.1 2>/dev/null\n"
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 "
      "-extfile server.ext 2>/dev/null\n");
  if (r.exit_code != 0) {
    error_ = "could not make certificates: " + r.err;
    return;
  }
  ca_file_ = d + "/ca.crt";
  port_ = opskit::test::free_loopback_port();
  const int backend = opskit::test::free_loopback_port();
  const std::string data = data_dir + "/";
  const std::string conf =
      "pid " + d + "/nginx.pid;\nerror_log " + d + "/error.log;\nevents { worker_connections 64; }\n"
      "http {\n  access_log " + d + "/access.log;\n  default_type application/octet-stream;\n"
      "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n  fastcgi_temp_path " + d + "/fcgi;\n"
      "  uwsgi_temp_path " + d + "/uwsgi;\n  scgi_temp_path " + d + "/scgi;\n"
      "  server {\n    listen 127.0.0.1:" + std::to_string(port_) + " ssl;\n"
      "    ssl_certificate " + d + "/server.crt;\n    ssl_certificate_key " + d + "/server.key;\n"
      "    location /lists/ { alias " + data + "; }\n"
      "    location /files/ { alias " + d + "/files/; }\n"
      "    location /flaky/ { if (!-f " + d + "/ready) { return 503; } alias " + data + "; }\n"
      "    location /short/ { proxy_pass http://127.0.0.1:" + std::to_string(backend) + "/; proxy_read_timeout 1s; }\n"
      "  }\n"
      // The backend sends 64 kB, then one byte a second: the proxy above gives
      // up after 1 s and closes the client's connection mid-body.
      "  server {\n    listen 127.0.0.1:" + std::to_string(backend) + ";\n    access_log off;\n"
      "    location / { alias " + data + "; limit_rate_after 64k; limit_rate 1; }\n  }\n"
      "}\n";
  std::ofstream(d + "/nginx.conf") << conf;
  std::vector<std::string> args = {"/usr/sbin/nginx", "-p", d, "-c", d + "/nginx.conf", "-g", "daemon off; master_process off;"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    error_ = "could not start nginx";
    return;
  }
  for (int i = 0; i < 400; ++i) {
    if (opskit::test::loopback_port_open(port_) && opskit::test::loopback_port_open(backend)) {
      pid_ = pid;
      return;
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  error_ = "nginx did not start: " + slurp(d + "/error.log");
}

ListServer::~ListServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ListServer::url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(port_) + "/" + path;
}

void ListServer::make_flaky_ready() const { std::ofstream(dir_ + "/ready") << "ready\n"; }

std::string ListServer::access_log() const { return slurp(dir_ + "/access.log"); }

}  // namespace opskit::screen::testing
