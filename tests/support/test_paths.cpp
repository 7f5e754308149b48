#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "test_paths.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace opskit::test {

namespace {
struct TempDirs {
  std::mutex m;
  std::vector<std::string> dirs;
  ~TempDirs() {
    if (std::getenv("OPSKIT_KEEP_TEST_FILES")) return;
    for (auto& d : dirs) {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  }
};
TempDirs& temp_dirs() {
  static TempDirs t;
  return t;
}
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::string source_dir() { return OPSKIT_SOURCE_DIR; }
std::string binary_dir() { return OPSKIT_BINARY_DIR; }
std::string bin(const std::string& tool) { return binary_dir() + "/bin/" + tool; }

std::string shared_data(const std::string& sub) {
  const char* env = std::getenv("OPSKIT_SHARED_DATA");
  std::string base = env && *env ? env : source_dir() + "/../shared/data";
  std::string p = base + "/" + sub;
  return fs::exists(p) ? fs::canonical(p).string() : std::string();
}

std::string temp_dir(const std::string& hint) {
  fs::path root = fs::path(binary_dir()) / "testtmp";
  fs::create_directories(root);
  std::string tmpl = (root / (hint + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  std::string d(buf.data());
  std::lock_guard<std::mutex> g(temp_dirs().m);
  temp_dirs().dirs.push_back(d);
  return d;
}

CommandResult run_command(const std::string& command, const std::string& stdin_text) {
  std::string dir = temp_dir("cmd");
  std::string in = dir + "/stdin", out = dir + "/stdout", err = dir + "/stderr";
  {
    std::ofstream f(in, std::ios::binary);
    f << stdin_text;
  }
  std::string full = "TZ=UTC LC_ALL=C bash -c '" ;
  for (char c : command) {
    if (c == '\'') full += "'\\''";
    else full.push_back(c);
  }
  full += "' <" + in + " >" + out + " 2>" + err;
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::set<std::string> libraries_loaded_by(const std::string& command) {
  CommandResult r = run_command("LD_DEBUG=files " + command);
  if (r.exit_code != 0) throw std::runtime_error("'" + command + "' failed (exit " + std::to_string(r.exit_code) + "): " + r.err);
  std::set<std::string> names;
  std::istringstream lines(r.err);
  std::string line;
  while (std::getline(lines, line)) {
    auto at = line.find("\tfile=");
    if (at == std::string::npos) continue;
    at += 6;
    names.insert(line.substr(at, line.find(' ', at) - at));
  }
  return names;
}

}  // namespace opskit::test

namespace opskit::test {

int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

bool loopback_port_open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

}  // namespace opskit::test
