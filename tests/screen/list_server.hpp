#pragma once
// A real nginx on 127.0.0.1 serving the real sanctions list files over HTTPS
// for the download tests, with a throw-away CA made by the openssl CLI (the
// server certificate names IP 127.0.0.1). Nothing leaves loopback.
//
//   /lists/...     the files under `data_dir`, with ETag and Last-Modified
//   /files/...     files the test writes under files_dir() (a truncated copy)
//   /flaky/...     503 until the test calls make_flaky_ready(), then as /lists/
//   /short/...     as /lists/ but the body stops after 64 kB while the
//                  Content-Length promised the whole file (a proxy to a
//                  throttled backend that times out)
#include <string>

namespace opskit::screen::testing {

class ListServer {
 public:
  explicit ListServer(const std::string& data_dir);
  ~ListServer();
  ListServer(const ListServer&) = delete;
  ListServer& operator=(const ListServer&) = delete;
  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  std::string url(const std::string& path) const;  // https://127.0.0.1:PORT/path
  const std::string& ca_file() const { return ca_file_; }
  const std::string& dir() const { return dir_; }
  std::string files_dir() const { return dir_ + "/files"; }
  void make_flaky_ready() const;
  // The access log so far: one line per request ("GET /lists/un/consolidated.xml HTTP/1.1" 304 ...).
  std::string access_log() const;

 private:
  std::string dir_, error_, ca_file_;
  int port_ = 0;
  int pid_ = -1;
};

}  // namespace opskit::screen::testing
