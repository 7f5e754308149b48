#pragma once
// Report templates: Mustache (kainjow), compiled into the binary from
// templates/*.mustache and overridable per tenant with --templates DIR.
// Lookup for kind K and format F (md|html|text): DIR/K.F.mustache,
// DIR/report.F.mustache, then the same two names among the embedded ones.
// A template that does not parse throws DataError naming file:line:column.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace opskit::report {

struct TemplateSource {
  std::string name;  // file path, or "<embedded>/report.html.mustache"
  std::string text;
};

class TemplateSet {
 public:
  // `dir` empty = embedded only; a dir that does not exist is a DataError.
  explicit TemplateSet(std::string dir = {});
  // The template for kind/format; throws DataError when none exists.
  TemplateSource find(const std::string& kind, const std::string& format) const;
  // One template by file name ("report.html.mustache"): the override when
  // present, else the embedded one; throws DataError when neither exists.
  TemplateSource load(const std::string& name) const;
  // Every template name available (embedded and overrides), sorted.
  std::map<std::string, std::string> list() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// Compiles and renders one template. `escape` is the escaping applied to
// {{var}}; {{{var}}} is reserved for program-made markup (charts, tables).
// Throws DataError with file:line:column on a syntax error.
enum class Escaping { html, markdown, text };
std::string render_template(const TemplateSource& tpl, const nlohmann::json& view, Escaping escaping);
// Only compiles (used by `report templates check` and the fuzz target).
void check_template(const TemplateSource& tpl);

}  // namespace opskit::report
