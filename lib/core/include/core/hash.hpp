#pragma once
// SHA-256 (OpenSSL's libcrypto), for file fingerprints, content hashes and
// the audit chain.
#include <string>
#include <string_view>

namespace opskit {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string hex();  // finishes; 64 lowercase hex digits

 private:
  void* ctx_;
};

std::string sha256_hex(std::string_view data);
// Hash of a whole file, streamed; throws DataError if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace opskit
