#pragma once
// What tests must be able to fix: the clock and the random source; plus the
// --shard K/N partition shared by every batch command, and progress on a TTY.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace opskit {

// Wall clock, or a fixed instant (OPSKIT_NOW / --now, ISO-8601) for tests.
class Clock {
 public:
  Clock() = default;
  explicit Clock(int64_t fixed_unix_seconds) : fixed_(true), fixed_seconds_(fixed_unix_seconds) {}
  int64_t now_unix() const;        // seconds since the epoch (UTC)
  double now_unix_precise() const;  // with fraction
  std::string now_iso() const;     // "2026-11-22T03:20:00Z"
  bool fixed() const { return fixed_; }

 private:
  bool fixed_ = false;
  int64_t fixed_seconds_ = 0;
};

// UTC ISO-8601 "YYYY-MM-DDTHH:MM:SSZ" from unix seconds, and back (accepts
// "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS", optional fraction and Z/+hh:mm offset).
std::string format_iso8601(int64_t unix_seconds);
bool parse_iso8601(std::string_view text, int64_t& unix_seconds);

// Seeded random source (OPSKIT_SEED / --seed); 0 = seeded from the clock.
class Random {
 public:
  explicit Random(uint64_t seed = 42) : engine_(seed), seed_(seed) {}
  std::mt19937_64& engine() { return engine_; }
  uint64_t seed() const { return seed_; }
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

 private:
  std::mt19937_64 engine_;
  uint64_t seed_;
};

// --shard K/N: K in [0, N), N >= 1; a stable hash partition of input keys
// (FNV-1a 64), so N workers each take a disjoint share and together all of it.
struct Shard {
  uint32_t index = 0;
  uint32_t count = 1;
  static Shard parse(const std::string& text);  // throws UsageError
  bool all() const { return count == 1; }
  bool owns(std::string_view key) const;
  std::string str() const;
};
uint64_t stable_hash(std::string_view key);

// Progress on stderr, only when it is a TTY: count, rate, ETA when total known.
class Progress {
 public:
  Progress(std::string label, uint64_t total = 0, bool enabled = true);
  ~Progress();
  void add(uint64_t n = 1);
  void done();

 private:
  void draw(bool final);
  std::string label_;
  uint64_t total_, count_ = 0;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace opskit
