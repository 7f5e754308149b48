#pragma once
// Writing a document in the format asked for:
//   json  one line, the document itself
//   csv   tidy rows "section,row,column,value" for every table (RFC 4180,
//         formulas neutralised); with `section` set, that one table as plain CSV
//   md, html, text  through Mustache templates (see templates.hpp)
//   pdf   the HTML printed by headless Chromium (see pdf.hpp)
#include <string>

#include <nlohmann/json.hpp>

#include "report/templates.hpp"

namespace opskit::report {

enum class OutputFormat { json, csv, md, html, text, pdf };
// Throws UsageError listing the formats.
OutputFormat parse_output_format(const std::string& s);
const char* output_format_name(OutputFormat f);

struct RenderOptions {
  OutputFormat format = OutputFormat::text;
  std::string section;          // csv: only this section's table
  const TemplateSet* templates = nullptr;  // md/html/text; nullptr = embedded only
};

// Renders to bytes (pdf: the HTML is rendered here and printed by pdf.hpp).
// Throws DataError for an unknown --section or a template that fails.
std::string render(const nlohmann::json& doc, const RenderOptions& options);

// The view a template sees, built from the document for one format: the
// document fields, plus per section has_table/columns/rows/cells (values
// preformatted), chart_svg (html), text_table (text), md_table (md).
nlohmann::json template_view(const nlohmann::json& doc, OutputFormat format);

}  // namespace opskit::report
