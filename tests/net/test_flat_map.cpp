// The flat hash map under the flow table and detectors: inserts, finds and
// backward-shift erases (and takes) agree with std::map through long probe runs.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <set>
#include <random>

#include "net/flat_map.hpp"

using namespace opskit::net;

namespace {
struct BadHash {  // few distinct homes: long probe runs that wrap around the table
  size_t operator()(uint32_t k) const { return k % 7; }
};
struct SameTag {  // three homes, one shared 32-bit tag: the key compare decides every probe
  size_t operator()(uint32_t k) const { return static_cast<size_t>(uint64_t(k % 3) << 32 | 0x5bd1e995u); }
};
struct GoodHash {
  size_t operator()(uint32_t k) const { return static_cast<size_t>(mix64(k)); }
};

template <class Hash, unsigned kMaxLoadPercent = 75>
void check_against_map(uint64_t seed) {
  FlatMap<uint32_t, uint64_t, Hash, kMaxLoadPercent> m;
  std::map<uint32_t, uint64_t> ref;
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    uint32_t k = static_cast<uint32_t>(rng() % 600);
    switch (rng() % 4) {
      case 0: m[k] += i; ref[k] += i; break;
      case 1: REQUIRE(m.erase(k) == (ref.erase(k) == 1)); break;
      case 2: {  // take: the value as it was, and gone after
        std::optional<uint64_t> v = m.take(k, Hash{}(k));
        auto it = ref.find(k);
        REQUIRE(v.has_value() == (it != ref.end()));
        if (v) {
          REQUIRE(*v == it->second);
          ref.erase(it);
        }
        break;
      }
      default: {
        const uint64_t* v = m.find(k);
        auto it = ref.find(k);
        REQUIRE((v != nullptr) == (it != ref.end()));
        if (v) REQUIRE(*v == it->second);
      }
    }
    REQUIRE(m.size() == ref.size());
  }
  std::set<uint32_t> seen;
  m.for_each([&](uint32_t k, uint64_t v) {
    REQUIRE(seen.insert(k).second);  // each entry once: erases leave no holes or copies in the entry array
    REQUIRE(ref.at(k) == v);
  });
  REQUIRE(seen.size() == ref.size());
}
}  // namespace

TEST_CASE("flat map: matches std::map under inserts and erases", "[net][flat_map]") {
  check_against_map<GoodHash>(1);
  check_against_map<BadHash>(2);  // every key collides with many others
  check_against_map<SameTag>(3);
  check_against_map<GoodHash, 12>(4);  // a sparse index, as the pending-query table keeps
  check_against_map<BadHash, 12>(5);
}

TEST_CASE("flat map: address keys", "[net][flat_map]") {
  struct IpHash {
    size_t operator()(const IpAddr& ip) const { return static_cast<size_t>(hash_ip(ip)); }
  };
  FlatMap<IpAddr, int, IpHash> m;
  IpAddr a, b;
  REQUIRE(IpAddr::parse("192.0.2.1", a));
  REQUIRE(IpAddr::parse("2001:db8::1", b));
  m[a] = 4;
  m[b] = 6;
  REQUIRE(*m.find(a) == 4);
  REQUIRE(*m.find(b) == 6);
  IpAddr c;
  REQUIRE(IpAddr::parse("192.0.2.2", c));
  REQUIRE(m.find(c) == nullptr);
  m.clear();
  REQUIRE(m.empty());
  REQUIRE(m.find(a) == nullptr);
}

TEST_CASE("flat map: address and word-key hashes depend on the process's hash key", "[net][flat_map]") {
  const HashKey drawn = process_hash_key;
  IpAddr ip;
  ip.version = 4;
  ip.bytes[0] = 10, ip.bytes[3] = 7;
  const WordKey words{{1, 2, 3, 4, 5}};
  std::set<uint64_t> ip_hashes, word_hashes;
  for (uint64_t k = 0; k < 5; ++k) {
    HashKey key = drawn;
    key.w[k] += 1;
    set_hash_key(key);
    ip_hashes.insert(hash_ip(ip));
    word_hashes.insert(WordKeyHash{}(words));
  }
  set_hash_key(drawn);
  ip_hashes.insert(hash_ip(ip));
  word_hashes.insert(WordKeyHash{}(words));
  CHECK(ip_hashes.size() == 3);  // an address takes in the key's first two words
  CHECK(word_hashes.size() == 6);
}
