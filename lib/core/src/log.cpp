#include "core/log.hpp"

#include <unistd.h>

#include <ctime>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/runtime.hpp"

namespace opskit {

LogLevel parse_log_level(const std::string& s) {
  if (s == "debug") return LogLevel::debug;
  if (s == "info") return LogLevel::info;
  if (s == "warn" || s == "warning") return LogLevel::warn;
  if (s == "error") return LogLevel::error;
  if (s == "off" || s == "none") return LogLevel::off;
  throw UsageError("unknown log level '" + s + "' (debug, info, warn, error, off)");
}

static const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    default: return "off";
  }
}

Logger::Logger(std::string tool, LogLevel level, bool json, std::FILE* out)
    : tool_(std::move(tool)), level_(level), json_(json), out_(out) {}

void Logger::log(LogLevel l, const std::string& msg, Fields fields) {
  if (!enabled(l) || l == LogLevel::off) return;
  std::fflush(stdout);  // keep data and diagnostics in order on a shared terminal
  if (json_) {
    nlohmann::json j;
    j["ts"] = format_iso8601(fixed_time_ >= 0 ? fixed_time_ : static_cast<int64_t>(std::time(nullptr)));
    j["level"] = level_name(l);
    j["tool"] = tool_;
    j["msg"] = msg;
    for (const auto& [k, v] : fields) j[k] = v;
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fprintf(out_, "%s\n", line.c_str());
  } else {
    std::string line = tool_ + ": ";
    if (l != LogLevel::info) line += std::string(level_name(l)) + ": ";
    line += msg;
    for (const auto& [k, v] : fields) line += std::string(" ") + k + "=" + v;
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

bool stderr_is_tty() { return ::isatty(2) == 1; }

}  // namespace opskit
