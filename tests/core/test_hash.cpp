#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <random>

#include "core/hash.hpp"

using namespace opskit;

namespace {
std::string openssl_sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += "0123456789abcdef"[md[i] >> 4], out += "0123456789abcdef"[md[i] & 15];
  return out;
}

std::string digest(Sha256::Engine engine, std::string_view data, size_t piece) {
  Sha256 h(engine);
  for (size_t at = 0; at < data.size(); at += piece) h.update(data.substr(at, piece));
  return h.hex();
}
}  // namespace

TEST_CASE("sha256 matches the FIPS 180-2 test vectors, on the CPU's SHA instructions and without") {
  for (auto engine : {Sha256::Engine::best, Sha256::Engine::portable}) {
    CHECK(digest(engine, "abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(digest(engine, "", 1) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(digest(engine, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 7) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(digest(engine, std::string(1000000, 'a'), 4096) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST_CASE("sha256 agrees with OpenSSL on every length around the block and padding edges, fed in any pieces") {
  std::mt19937_64 rng(7);
  std::string data(70000, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t n : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4095, 65536, 70000}) {
    std::string_view part(data.data(), n);
    std::string expected = openssl_sha256(part);
    for (size_t piece : {1, 3, 64, 100, 65536}) {
      INFO("length " << n << ", pieces of " << piece);
      CHECK(digest(Sha256::Engine::best, part, piece) == expected);
      CHECK(digest(Sha256::Engine::portable, part, piece) == expected);
    }
  }
}
