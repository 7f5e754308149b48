#pragma once
// Escaping per output, one home each. Values from the database are hostile
// input: a DNS name or a lead's company name must never become markup,
// script, a Markdown link, a terminal escape or a spreadsheet formula.
#include <string>
#include <string_view>

namespace opskit::report {

// & < > " ' as entities: safe in HTML text, attribute values and SVG/XML.
std::string html_escape(std::string_view s);
// Markdown text: backslash before inline Markdown punctuation (and block
// markers at the start), HTML specials as entities (Markdown passes raw HTML
// through), newlines as spaces.
std::string markdown_escape(std::string_view s);
// Plain text for a terminal: control characters (ESC included) removed.
std::string text_escape(std::string_view s);
// One CSV cell: quoted when needed, leading = + - @ (and tab/CR) neutralised.
std::string csv_cell(std::string_view s);

}  // namespace opskit::report
