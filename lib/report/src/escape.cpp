#include "report/escape.hpp"

#include "core/csv.hpp"

namespace opskit::report {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string markdown_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\n': case '\r': out += ' '; break;
      // Inline markup, links, images, table cells.
      case '\\': case '`': case '*': case '_': case '[': case ']': case '|': case '~':
        out += '\\';
        out += c;
        break;
      // Block markup only at the start of a value (headings, lists, quotes).
      case '#': case '-': case '+': case '!':
        if (i == 0) out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

std::string text_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u == '\n' || u == '\t' || (u >= 0x20 && u != 0x7f)) out += c;
  }
  return out;
}

std::string csv_cell(std::string_view s) { return csv::escape(s, ',', true); }

}  // namespace opskit::report
