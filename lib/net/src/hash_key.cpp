// The process's hash key for the per-packet tables (see flat_map.hpp).
#include <sys/random.h>
#include <unistd.h>

#include <chrono>

#include "net/flat_map.hpp"

namespace opskit::net {
namespace {
HashKey draw_hash_key() {
  HashKey key{};
  // GRND_NONBLOCK: a job started early in boot, before the kernel's pool is
  // ready, falls back to the clock and the process id rather than waiting.
  if (getrandom(key.w, sizeof key.w, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof key.w)) return key;
  uint64_t seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                  static_cast<uint64_t>(getpid()) << 32 ^ reinterpret_cast<uintptr_t>(&key);
  for (uint64_t& w : key.w) w = mix64(seed += 0x9E3779B97F4A7C15ull);
  return key;
}
}  // namespace

HashKey process_hash_key = draw_hash_key();

void set_hash_key(const HashKey& key) { process_hash_key = key; }
}  // namespace opskit::net
