#include "report/templates.hpp"

#include <filesystem>
#include <optional>
#include <regex>

#include <kainjow/mustache.hpp>

#include "core/error.hpp"
#include "core/text.hpp"
#include "report/escape.hpp"
#include "templates_embedded.hpp"

namespace opskit::report {
namespace fs = std::filesystem;
namespace mst = kainjow::mustache;

TemplateSet::TemplateSet(std::string dir) : dir_(std::move(dir)) {
  if (!dir_.empty() && !fs::is_directory(dir_))
    throw DataError(SourceLocation{dir_, 0, 0, "--templates"}, "template directory does not exist");
}

namespace {

std::optional<TemplateSource> lookup(const std::string& dir, const std::string& name, bool embedded) {
  if (!embedded) {
    fs::path p = fs::path(dir) / name;
    if (!dir.empty() && fs::is_regular_file(p)) return TemplateSource{p.string(), text::read_file(p.string())};
    return std::nullopt;
  }
  for (const auto& e : embedded_templates())
    if (name == e.name) return TemplateSource{std::string("<embedded>/") + e.name, e.text};
  return std::nullopt;
}

}  // namespace

TemplateSource TemplateSet::find(const std::string& kind, const std::string& format) const {
  const std::string names[] = {kind + "." + format + ".mustache", "report." + format + ".mustache"};
  for (bool embedded : {false, true})
    for (const auto& n : names)
      if (auto t = lookup(dir_, n, embedded)) return *t;
  throw DataError("no template for kind '" + kind + "' in format '" + format + "'");
}

TemplateSource TemplateSet::load(const std::string& name) const {
  for (bool embedded : {false, true})
    if (auto t = lookup(dir_, name, embedded)) return *t;
  throw DataError("no template named '" + name + "'");
}

std::map<std::string, std::string> TemplateSet::list() const {
  std::map<std::string, std::string> out;
  for (const auto& e : embedded_templates()) out[e.name] = std::string("<embedded>/") + e.name;
  if (!dir_.empty())
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string n = entry.path().filename().string();
      if (entry.is_regular_file() && n.size() > 9 && n.compare(n.size() - 9, 9, ".mustache") == 0)
        out[n] = entry.path().string();
    }
  return out;
}

namespace {

mst::data to_data(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mst::data d{mst::data::type::object};
      for (auto it = j.begin(); it != j.end(); ++it) d.set(it.key(), to_data(it.value()));
      return d;
    }
    case nlohmann::json::value_t::array: {
      mst::data d{mst::data::type::list};
      for (const auto& v : j) d.push_back(to_data(v));
      return d;
    }
    case nlohmann::json::value_t::string: return mst::data(j.get<std::string>());
    case nlohmann::json::value_t::boolean: return mst::data(j.get<bool>());
    case nlohmann::json::value_t::null: return mst::data(false);
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return mst::data(std::to_string(j.get<int64_t>()));
    default: return mst::data(j.dump());
  }
}

// kainjow reports "... at OFFSET"; turn the offset into line and column.
[[noreturn]] void syntax_error(const TemplateSource& tpl, const std::string& message) {
  SourceLocation where{tpl.name, 0, 0, "template"};
  std::smatch m;
  std::string reason = message;
  if (std::regex_search(message, m, std::regex(" at ([0-9]+)$"))) {
    size_t off = std::stoul(m[1].str());
    long line = 1, col = 1;
    for (size_t i = 0; i < off && i < tpl.text.size(); ++i) {
      if (tpl.text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    where.line = line;
    where.column = col;
    reason = message.substr(0, m.position(0));
  }
  throw DataError(where, "template syntax error: " + reason);
}

}  // namespace

void check_template(const TemplateSource& tpl) {
  mst::mustache m{tpl.text};
  if (!m.is_valid()) syntax_error(tpl, m.error_message());
}

std::string render_template(const TemplateSource& tpl, const nlohmann::json& view, Escaping escaping) {
  mst::mustache m{tpl.text};
  if (!m.is_valid()) syntax_error(tpl, m.error_message());
  switch (escaping) {
    case Escaping::html: m.set_custom_escape([](const std::string& s) { return html_escape(s); }); break;
    case Escaping::markdown: m.set_custom_escape([](const std::string& s) { return markdown_escape(s); }); break;
    case Escaping::text: m.set_custom_escape([](const std::string& s) { return text_escape(s); }); break;
  }
  std::string out = m.render(to_data(view));
  if (!m.is_valid()) throw DataError(SourceLocation{tpl.name, 0, 0, "template"}, "template error: " + m.error_message());
  return out;
}

}  // namespace opskit::report
