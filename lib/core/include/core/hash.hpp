#pragma once
// SHA-256 (FIPS 180-4), for file fingerprints, content hashes and the audit
// chain. Written here rather than taken from OpenSSL's libcrypto: loading
// libcrypto and initialising its providers cost every run about 2 ms, and
// nothing else in most tools needs it. The CPU's SHA instructions (x86 SHA
// extensions) do the rounds when present, as fast as OpenSSL does.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace opskit {

class Sha256 {
 public:
  // `portable` skips the CPU's SHA instructions (for tests of both paths).
  enum class Engine { best, portable };
  explicit Sha256(Engine engine = Engine::best);
  void update(std::string_view data);
  std::string hex();  // finishes; 64 lowercase hex digits

 private:
  void blocks(const unsigned char* data, size_t count);

  std::array<uint32_t, 8> state_;
  std::array<unsigned char, 64> pending_{};  // the last, incomplete block
  size_t pending_size_ = 0;
  uint64_t length_ = 0;  // bytes hashed so far
  bool cpu_instructions_;
};

std::string sha256_hex(std::string_view data);
// Hash of a whole file, streamed; throws DataError if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace opskit
