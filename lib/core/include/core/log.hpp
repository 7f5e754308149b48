#pragma once
// Logging to stderr: human text on a TTY, JSON lines otherwise or with
// --log-format json. --quiet raises the level to warn (cron mails any output).
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

namespace opskit {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };
LogLevel parse_log_level(const std::string& s);  // throws UsageError

class Logger {
 public:
  using Fields = std::initializer_list<std::pair<const char*, std::string>>;
  Logger(std::string tool = "opskit", LogLevel level = LogLevel::info, bool json = false, std::FILE* out = stderr);
  void set_level(LogLevel l) { level_ = l; }
  void set_json(bool j) { json_ = j; }
  void set_tool(std::string t) { tool_ = std::move(t); }
  // Log timestamps from a fixed clock (--now), so logs are reproducible too.
  void set_fixed_time(long long unix_seconds) { fixed_time_ = unix_seconds; }
  LogLevel level() const { return level_; }
  bool enabled(LogLevel l) const { return l >= level_; }
  void log(LogLevel l, const std::string& msg, Fields fields = {});
  void debug(const std::string& m, Fields f = {}) { log(LogLevel::debug, m, f); }
  void info(const std::string& m, Fields f = {}) { log(LogLevel::info, m, f); }
  void warn(const std::string& m, Fields f = {}) { log(LogLevel::warn, m, f); }
  void error(const std::string& m, Fields f = {}) { log(LogLevel::error, m, f); }

 private:
  std::string tool_;
  LogLevel level_;
  bool json_;
  std::FILE* out_;
  long long fixed_time_ = -1;
};

bool stderr_is_tty();

}  // namespace opskit
