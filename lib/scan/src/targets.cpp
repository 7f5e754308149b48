#include <yaml-cpp/yaml.h>

#include <iostream>
#include <iterator>

#include "core/text.hpp"
#include "scan/scanner.hpp"

namespace opskit::scan {
namespace {

bool looks_like_yaml(const std::string& content) {
  for (const auto& raw : text::split(content, '\n')) {
    std::string_view l = text::trim(raw);
    if (l.empty() || l[0] == '#') continue;
    return l.starts_with("- ") || l.starts_with("targets:") || l == "-" || l.starts_with("---");
  }
  return false;
}

void from_yaml_node(const YAML::Node& n, const std::string& path, TargetList& out) {
  SourceLocation where{path, n.Mark().line + 1, n.Mark().column + 1, "url"};
  try {
    Target t;
    t.where = where;
    if (n.IsScalar()) {
      t.url = n.as<std::string>();
    } else if (n.IsMap()) {
      if (!n["url"] || !n["url"].IsScalar()) {
        out.bad.push_back({where, "target without a url"});
        return;
      }
      t.url = n["url"].as<std::string>();
      if (auto h = n["headers"]) {
        if (!h.IsMap()) {
          where.field = "headers";
          out.bad.push_back({where, "headers must be a map of name: value"});
          return;
        }
        for (const auto& kv : h) t.headers.push_back(kv.first.as<std::string>() + ": " + kv.second.as<std::string>());
      }
      if (auto p = n["paths"]) {
        if (!p.IsSequence()) {
          where.field = "paths";
          out.bad.push_back({where, "paths must be a list"});
          return;
        }
        for (const auto& v : p) t.paths.push_back(v.as<std::string>());
      }
      if (n["http_url"]) t.http_url = n["http_url"].as<std::string>();
      if (n["expect_grade"]) t.expect_grade = n["expect_grade"].as<std::string>();
    } else {
      out.bad.push_back({where, "a target is a URL or a map with url:"});
      return;
    }
    Url u;
    if (!parse_url(t.url, u)) {
      out.bad.push_back({where, "not an absolute http(s) URL: '" + t.url.substr(0, 200) + "'"});
      return;
    }
    if (!t.expect_grade.empty() && grade_rank(t.expect_grade) < 0) {
      where.field = "expect_grade";
      out.bad.push_back({where, "unknown grade '" + t.expect_grade + "'"});
      return;
    }
    out.targets.push_back(std::move(t));
  } catch (const YAML::Exception& e) {
    out.bad.push_back({where, std::string("bad value: ") + e.what()});
  }
}

}  // namespace

TargetList read_targets(const std::string& path) {
  std::string content = path == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : text::read_file(path);
  TargetList out;
  if (looks_like_yaml(content)) {
    YAML::Node doc;
    try {
      doc = YAML::Load(content);
    } catch (const YAML::ParserException& e) {
      throw DataError({path, e.mark.line + 1, e.mark.column + 1, "targets"}, "malformed YAML: " + e.msg);
    }
    YAML::Node list = doc.IsMap() && doc["targets"] ? doc["targets"] : doc;
    if (!list.IsSequence()) throw DataError({path, 1, 1, "targets"}, "expected a list of targets");
    for (const auto& n : list) from_yaml_node(n, path, out);
    return out;
  }
  long line_no = 0;
  for (const auto& raw : text::split(content, '\n')) {
    ++line_no;
    std::string_view l = text::trim(raw);
    if (l.empty() || l[0] == '#') continue;
    SourceLocation where{path, line_no, 1, "url"};
    size_t bad_at = 0;
    if (!text::valid_utf8(l, &bad_at)) {
      where.column = static_cast<long>(bad_at + 1);
      out.bad.push_back({where, "not valid UTF-8"});
      continue;
    }
    Target t;
    t.url = std::string(l);
    t.where = where;
    Url u;
    if (!parse_url(t.url, u)) {
      out.bad.push_back({where, "not an absolute http(s) URL: '" + t.url.substr(0, 200) + "'"});
      continue;
    }
    out.targets.push_back(std::move(t));
  }
  return out;
}

TargetList targets_from_urls(const std::vector<std::string>& urls) {
  TargetList out;
  for (size_t i = 0; i < urls.size(); ++i) {
    SourceLocation where{"<command line>", 0, static_cast<long>(i + 1), "url"};
    Url u;
    if (!parse_url(urls[i], u)) {
      out.bad.push_back({where, "not an absolute http(s) URL: '" + urls[i].substr(0, 200) + "'"});
      continue;
    }
    Target t;
    t.url = urls[i];
    t.where = where;
    out.targets.push_back(std::move(t));
  }
  return out;
}

}  // namespace opskit::scan
