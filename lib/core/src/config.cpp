#include "core/config.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/hash.hpp"
#include "core/text.hpp"

namespace opskit {

const char* origin_name(Origin o) {
  switch (o) {
    case Origin::default_value: return "default";
    case Origin::file: return "file";
    case Origin::environment: return "environment";
    case Origin::flag: return "flag";
  }
  return "?";
}

void Config::put(const std::string& key, const std::string& value, Origin origin, const std::string& source) {
  auto& v = values_[key];
  // A value is replaced only by one from a stronger origin (or the same one again).
  if (v.origin > origin && values_.count(key)) return;
  v = ConfigValue{value, origin, source};
}

void Config::set_default(const std::string& key, const std::string& value) {
  auto it = values_.find(key);
  if (it == values_.end()) values_[key] = ConfigValue{value, Origin::default_value, "built-in"};
  else if (it->second.origin == Origin::default_value) it->second.value = value;
}

std::string Config::default_file_path(const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  std::string xdg;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) xdg = x;
  else if (const char* h = std::getenv("HOME"); h && *h) xdg = std::string(h) + "/.config";
  if (!xdg.empty() && std::filesystem::exists(xdg + "/opskit/config.yaml")) return xdg + "/opskit/config.yaml";
  if (std::filesystem::exists("/etc/opskit/config.yaml")) return "/etc/opskit/config.yaml";
  return {};
}

void Config::load_file(const std::string& path, bool required) {
  if (path.empty()) return;
  if (!std::filesystem::exists(path)) {
    if (required) throw DataError(SourceLocation{path, 0, 0, {}}, "config file not found");
    return;
  }
  std::string content = text::read_file(path);
  size_t bad = 0;
  if (!text::valid_utf8(content, &bad)) {
    long line = 1, col = 1;
    for (size_t i = 0; i < bad; ++i) {
      if (content[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    throw DataError(SourceLocation{path, line, col, {}}, "invalid UTF-8");
  }
  YAML::Node root;
  try {
    root = YAML::Load(content);
  } catch (const YAML::Exception& e) {
    throw DataError(SourceLocation{path, e.mark.line + 1, e.mark.column + 1, {}}, "malformed YAML: " + e.msg);
  }
  try {
    load_tree(root, path);
  } catch (const YAML::Exception& e) {
    throw DataError(SourceLocation{path, e.mark.line + 1, e.mark.column + 1, {}}, "unusable YAML: " + e.msg);
  }
}

void Config::load_tree(const YAML::Node& root, const std::string& path) {
  if (root.IsNull()) return;
  if (!root.IsMap()) throw DataError(SourceLocation{path, root.Mark().line + 1, root.Mark().column + 1, {}}, "the config file must be a mapping of keys to values");
  std::function<nlohmann::json(const YAML::Node&)> to_json = [&](const YAML::Node& n) -> nlohmann::json {
    if (n.IsSequence()) {
      auto a = nlohmann::json::array();
      for (const auto& e : n) a.push_back(to_json(e));
      return a;
    }
    if (n.IsMap()) {
      auto o = nlohmann::json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
      return o;
    }
    if (n.IsNull()) return nullptr;
    return n.as<std::string>();
  };
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& node, const std::string& prefix) {
    for (const auto& kv : node) {
      std::string key = prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>();
      const auto& val = kv.second;
      std::string where = path + ":" + std::to_string(val.Mark().line + 1);
      if (val.IsMap()) walk(val, key);
      else if (val.IsSequence()) put(key, to_json(val).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), Origin::file, where);
      else if (val.IsNull()) put(key, "", Origin::file, where);
      else put(key, val.as<std::string>(), Origin::file, where);
    }
  };
  walk(root, "");
}

std::string Config::env_name(const std::string& key) {
  std::string n = "OPSKIT_";
  for (char c : key) {
    if (c == '.' || c == '-') n.push_back('_');
    else if (c >= 'a' && c <= 'z') n.push_back(static_cast<char>(c - 32));
    else n.push_back(c);
  }
  return n;
}

void Config::load_environment(char** envp) {
  if (!envp) return;
  // Only variables that name a known key (a default or a file value) count,
  // so unrelated OPSKIT_* variables never turn into configuration.
  std::map<std::string, std::string> by_env;
  for (const auto& [k, v] : values_) by_env[env_name(k)] = k;
  for (char** e = envp; *e; ++e) {
    std::string_view kv(*e);
    if (kv.substr(0, 7) != "OPSKIT_") continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(kv.substr(0, eq));
    std::string value(kv.substr(eq + 1));
    auto it = by_env.find(name);
    if (it != by_env.end()) put(it->second, value, Origin::environment, name);
  }
}

void Config::set_flag(const std::string& key, const std::string& value, const std::string& flag_name) {
  put(key, value, Origin::flag, flag_name);
}

bool Config::has(const std::string& key) const { return values_.count(key) > 0; }

const ConfigValue* Config::find(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

std::string Config::get(const std::string& key, const std::string& fallback) const {
  auto* v = find(key);
  return v ? v->value : fallback;
}

static DataError bad_value(const std::string& key, const ConfigValue& v, const char* want) {
  return DataError("configuration '" + key + "' = '" + v.value + "' (from " + origin_name(v.origin) + " " + v.source +
                   ") is not " + want);
}

long long Config::get_int(const std::string& key, long long fallback) const {
  auto* v = find(key);
  if (!v || v->value.empty()) return fallback;
  long long out;
  if (!text::parse_int(v->value, out)) throw bad_value(key, *v, "a whole number");
  return out;
}

double Config::get_double(const std::string& key, double fallback) const {
  auto* v = find(key);
  if (!v || v->value.empty()) return fallback;
  double out;
  if (!text::parse_double(v->value, out)) throw bad_value(key, *v, "a number");
  return out;
}

bool Config::get_bool(const std::string& key, bool fallback) const {
  auto* v = find(key);
  if (!v || v->value.empty()) return fallback;
  std::string s = text::lower(v->value);
  if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
  if (s == "false" || s == "no" || s == "off" || s == "0") return false;
  throw bad_value(key, *v, "true or false");
}

std::vector<std::string> Config::get_list(const std::string& key) const {
  auto* v = find(key);
  if (!v || v->value.empty()) return {};
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(v->value, nullptr, false);
  if (j.is_array()) {
    for (const auto& e : j) out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    return out;
  }
  for (auto& part : text::split(v->value, ',')) {
    auto t = text::trim(part);
    if (!t.empty()) out.emplace_back(t);
  }
  return out;
}

std::string Config::hash(std::string_view prefix) const {
  Sha256 h;
  for (const auto& [k, v] : values_) {
    if (k.compare(0, prefix.size(), prefix) != 0) continue;
    h.update(k);
    h.update("=");
    h.update(v.value);
    h.update("\n");
  }
  return h.hex().substr(0, 16);
}

}  // namespace opskit
