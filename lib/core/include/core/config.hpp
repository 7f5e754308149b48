#pragma once
// Layered configuration resolved by us, not by CLI11: flags > environment
// (OPSKIT_<KEY>, dots and dashes as underscores, upper case) > YAML file
// (--config, else $XDG_CONFIG_HOME/opskit/config.yaml, else
// /etc/opskit/config.yaml) > defaults. Every value remembers its origin, so
// `opskit config show` can say where it came from.
//
// Keys are dotted paths: "db", "tenant", "log_level", "screen.review".
// Nested YAML maps flatten to dotted keys; YAML sequences are kept as
// JSON text (read them with get_list).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace YAML {
class Node;
}

namespace opskit {

enum class Origin { default_value, file, environment, flag };
const char* origin_name(Origin o);

struct ConfigValue {
  std::string value;
  Origin origin = Origin::default_value;
  std::string source;  // file path and line, variable name, or flag name
};

class Config {
 public:
  // Defaults first, then the file (if any), then environment, then flags.
  void set_default(const std::string& key, const std::string& value);
  // Loads a YAML file; throws DataError with file:line:column when malformed.
  // `required` = the file was named explicitly (a missing file is an error).
  void load_file(const std::string& path, bool required);
  // Reads the OPSKIT_* variable of every key known so far (defaults and file).
  void load_environment(char** envp);
  void set_flag(const std::string& key, const std::string& value, const std::string& flag_name);

  // The config file to read: explicit path, else XDG, else /etc; empty if none exists.
  static std::string default_file_path(const std::string& explicit_path);

  bool has(const std::string& key) const;
  std::string get(const std::string& key, const std::string& fallback = {}) const;
  // Typed getters throw DataError naming the key and its origin when the value does not parse.
  long long get_int(const std::string& key, long long fallback) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::vector<std::string> get_list(const std::string& key) const;
  const ConfigValue* find(const std::string& key) const;
  const std::map<std::string, ConfigValue>& values() const { return values_; }
  // A stable hash of the values whose keys start with `prefix` (all when
  // empty), for recording which settings produced a result: a tool hashes
  // its own section, so --db, --shard or --quiet do not change it.
  std::string hash(std::string_view prefix = {}) const;

  static std::string env_name(const std::string& key);  // "screen.review" -> OPSKIT_SCREEN_REVIEW

 private:
  void load_tree(const YAML::Node& root, const std::string& path);
  void put(const std::string& key, const std::string& value, Origin origin, const std::string& source);
  std::map<std::string, ConfigValue> values_;
};

}  // namespace opskit
