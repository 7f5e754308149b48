// Fuzz target: a tenant's own Mustache template (--templates DIR) is outside
// input. Compiling and rendering it must either work or throw DataError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "report/document.hpp"
#include "report/templates.hpp"
#include "report/render.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opskit::report;
  static const nlohmann::json view = [] {
    auto doc = new_document("runs", "Runs", "acme", "", "2026-11-20T12:00:00Z", "", "2026-11-20T12:00:00Z");
    Section s("t", "T");
    s.fact("n", 1).columns({{"a", "A"}, {"b", "B", "int"}}).row({"x<y", 2}).chart("bar", "a", {"b"});
    add_section(doc, s);
    return template_view(doc, OutputFormat::html);
  }();
  TemplateSource tpl{"fuzz.mustache", std::string(reinterpret_cast<const char*>(data), size)};
  try {
    check_template(tpl);
    for (auto e : {Escaping::html, Escaping::markdown, Escaping::text}) (void)render_template(tpl, view, e);
  } catch (const opskit::DataError&) {
  }
  return 0;
}
