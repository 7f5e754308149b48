#include "core/runtime.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/text.hpp"

namespace opskit {

int64_t Clock::now_unix() const {
  if (fixed_) return fixed_seconds_;
  return static_cast<int64_t>(std::time(nullptr));
}

double Clock::now_unix_precise() const {
  if (fixed_) return static_cast<double>(fixed_seconds_);
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

std::string Clock::now_iso() const { return format_iso8601(now_unix()); }

std::string format_iso8601(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Days from civil date (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar.
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool parse_iso8601(std::string_view s, int64_t& out) {
  s = text::trim(s);
  auto digits = [&](size_t pos, size_t n, int& v) {
    if (pos + n > s.size()) return false;
    v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!digits(0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d)) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  size_t pos = 10;
  int64_t offset = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return false;
    if (!digits(pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(pos + 4, 2, mi)) return false;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(pos + 1, 2, se)) return false;
      pos += 3;
    }
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int oh, om = 0;
        if (!digits(pos + 1, 2, oh)) return false;
        size_t p2 = pos + 3;
        if (p2 < s.size() && s[p2] == ':') ++p2;
        if (p2 < s.size() && !digits(p2, 2, om)) return false;
        if (p2 < s.size()) p2 += 2;
        offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
        pos = p2;
      } else {
        return false;
      }
    }
    if (pos != s.size()) return false;
    if (h > 23 || mi > 59 || se > 60) return false;
  }
  out = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + se - offset;
  return true;
}

uint64_t stable_hash(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Shard Shard::parse(const std::string& text) {
  auto slash = text.find('/');
  long long k, n;
  if (slash == std::string::npos || !text::parse_int(text.substr(0, slash), k) ||
      !text::parse_int(text.substr(slash + 1), n) || n < 1 || k < 0 || k >= n || n > 1000000)
    throw UsageError("--shard wants K/N with 0 <= K < N (e.g. 0/4), got '" + text + "'");
  return Shard{static_cast<uint32_t>(k), static_cast<uint32_t>(n)};
}

bool Shard::owns(std::string_view key) const { return count <= 1 || stable_hash(key) % count == index; }

std::string Shard::str() const { return std::to_string(index) + "/" + std::to_string(count); }

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && stderr_is_tty()),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() { done(); }

void Progress::add(uint64_t n) {
  count_ += n;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  draw(false);
}

void Progress::done() {
  if (!enabled_) return;
  draw(true);
  enabled_ = false;
}

void Progress::draw(bool final) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = secs > 0 ? static_cast<double>(count_) / secs : 0;
  char line[160];
  if (total_ > 0) {
    double eta = rate > 0 ? static_cast<double>(total_ - std::min(total_, count_)) / rate : 0;
    std::snprintf(line, sizeof line, "\r%s: %llu/%llu (%.0f/s, ETA %.0fs)   ", label_.c_str(),
                  static_cast<unsigned long long>(count_), static_cast<unsigned long long>(total_), rate, eta);
  } else {
    std::snprintf(line, sizeof line, "\r%s: %llu (%.0f/s)   ", label_.c_str(), static_cast<unsigned long long>(count_), rate);
  }
  std::fputs(line, stderr);
  if (final) std::fputs("\n", stderr);
  std::fflush(stderr);
}

}  // namespace opskit
