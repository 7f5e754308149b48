// Fuzz target: database values are hostile input. Whatever bytes a cell
// holds, every format renders and HTML never carries them as markup.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "report/document.hpp"
#include "report/render.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opskit::report;
  // Sentinels around the value: "QQ<...QQ" can only reach the HTML unescaped.
  const std::string v = "QQ" + std::string(reinterpret_cast<const char*>(data), size) + "QQ";
  auto doc = new_document("runs", "Runs", v, v, "2026-11-20T12:00:00Z", "", "2026-11-20T12:00:00Z");
  add_note(doc, v);
  Section s("t", "T", v);
  s.fact(v, v).columns({{"a", "A"}, {"b", "B", "int"}}).row({v, 1}).row({"z", 3}).chart("stacked_bar", "a", {"b"});
  add_section(doc, s);
  Section w("w", v);
  w.columns({{"a", "A"}, {"b", "B", "real"}}).row({v, -1.5}).chart("waterfall", "a", {"b"});
  add_section(doc, w);
  for (auto f : {OutputFormat::json, OutputFormat::csv, OutputFormat::md, OutputFormat::text}) (void)render(doc, {f});
  const std::string html = render(doc, {OutputFormat::html});
  // The only tags are the template's and the charts': a value's '<' is always escaped.
  if (v.find('<') != std::string::npos && html.find(clean_text(v)) != std::string::npos) std::abort();
  return 0;
}
