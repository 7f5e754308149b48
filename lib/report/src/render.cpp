#include "report/render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "report/escape.hpp"
#include "report/pdf.hpp"
#include "report/svg.hpp"

namespace opskit::report {
using nlohmann::json;

OutputFormat parse_output_format(const std::string& s) {
  if (s == "json") return OutputFormat::json;
  if (s == "csv") return OutputFormat::csv;
  if (s == "md" || s == "markdown") return OutputFormat::md;
  if (s == "html") return OutputFormat::html;
  if (s == "text") return OutputFormat::text;
  if (s == "pdf") return OutputFormat::pdf;
  throw UsageError("unknown format '" + s + "'; known formats: text, json, csv, md, html, pdf");
}

const char* output_format_name(OutputFormat f) {
  switch (f) {
    case OutputFormat::json: return "json";
    case OutputFormat::csv: return "csv";
    case OutputFormat::md: return "md";
    case OutputFormat::html: return "html";
    case OutputFormat::text: return "text";
    case OutputFormat::pdf: return "pdf";
  }
  return "?";
}

namespace {

std::string real_text(double v) {
  char buf[48];
  // Two decimals, but three significant digits below 1 (a conversion rate
  // of 0.026 must not show as 0.03, nor a change of -0.004 as 0).
  if (std::fabs(v) < 1 && std::fabs(v) >= 1e-9) std::snprintf(buf, sizeof buf, "%.3g", v);
  else std::snprintf(buf, sizeof buf, "%.2f", v);
  if (std::strchr(buf, 'e')) std::snprintf(buf, sizeof buf, "%.2e", v);
  if (std::strchr(buf, 'e')) return buf;
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

// A cell for people: strings bare, null "-", numbers short.
std::string display(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_integer() || v.is_number_unsigned()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return real_text(v.get<double>());
  return v.dump();
}

// A cell for CSV: numbers bare (a negative number is not a formula), text neutralised.
std::string csv_value(const json& v) {
  if (v.is_null()) return "";
  if (v.is_number_integer() || v.is_number_unsigned()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return real_text(v.get<double>());
  return csv_cell(display(v));
}

size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

bool numeric_type(const json& col) {
  const std::string t = col.value("type", std::string("text"));
  return t == "int" || t == "real";
}

std::string text_table(const json& table) {
  const auto& cols = table["columns"];
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head;
  for (auto& c : cols) head.push_back(text_escape(c["label"].get<std::string>()));
  std::vector<size_t> w(head.size());
  for (size_t i = 0; i < head.size(); ++i) w[i] = width(head[i]);
  for (auto& r : table["rows"]) {
    std::vector<std::string> line;
    for (size_t i = 0; i < cols.size(); ++i) {
      std::string s = text_escape(display(i < r.size() ? r[i] : json()));
      std::replace(s.begin(), s.end(), '\n', ' ');
      if (width(s) > 60) {
        size_t cut = 59;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
        s = s.substr(0, cut) + "\xE2\x80\xA6";
      }
      w[i] = std::max(w[i], width(s));
      line.push_back(std::move(s));
    }
    cells.push_back(std::move(line));
  }
  std::ostringstream o;
  auto emit = [&](const std::vector<std::string>& line) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i) {
      std::string pad(w[i] - width(line[i]), ' ');
      if (i) out += "  ";
      out += numeric_type(cols[i]) ? pad + line[i] : line[i] + pad;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    o << out << '\n';
  };
  emit(head);
  std::vector<std::string> rule;
  for (size_t x : w) rule.push_back(std::string(x, '-'));
  emit(rule);
  for (auto& l : cells) emit(l);
  return o.str();
}

std::string md_table(const json& table) {
  const auto& cols = table["columns"];
  std::ostringstream o;
  o << '|';
  for (auto& c : cols) o << ' ' << markdown_escape(c["label"].get<std::string>()) << " |";
  o << "\n|";
  for (auto& c : cols) o << (numeric_type(c) ? " ---: |" : " --- |");
  o << '\n';
  for (auto& r : table["rows"]) {
    o << '|';
    for (size_t i = 0; i < cols.size(); ++i) o << ' ' << markdown_escape(display(i < r.size() ? r[i] : json())) << " |";
    o << '\n';
  }
  return o.str();
}

std::string render_csv(const json& doc, const std::string& only) {
  std::ostringstream o;
  if (!only.empty()) {
    for (auto& s : doc["sections"]) {
      if (s["id"] != only) continue;
      if (!s.contains("table")) throw DataError("section '" + only + "' has no table");
      std::string sep;
      for (auto& c : s["table"]["columns"]) o << std::exchange(sep, ",") << csv_cell(c["key"].get<std::string>());
      o << "\r\n";
      for (auto& r : s["table"]["rows"]) {
        sep.clear();
        for (auto& v : r) o << std::exchange(sep, ",") << csv_value(v);
        o << "\r\n";
      }
      return o.str();
    }
    std::string ids;
    for (auto& s : doc["sections"]) ids += (ids.empty() ? "" : ", ") + s["id"].get<std::string>();
    throw UsageError("unknown section '" + only + "'; sections of this report: " + ids);
  }
  o << "section,row,column,value\r\n";
  for (auto& s : doc["sections"]) {
    const std::string id = csv_cell(s["id"].get<std::string>());
    for (auto& f : s.value("facts", json::array()))
      o << id << ",fact," << csv_cell(f["label"].get<std::string>()) << ',' << csv_value(f["value"]) << "\r\n";
    if (!s.contains("table")) continue;
    const auto& cols = s["table"]["columns"];
    size_t n = 0;
    for (auto& r : s["table"]["rows"]) {
      ++n;
      for (size_t i = 0; i < cols.size() && i < r.size(); ++i)
        o << id << ',' << n << ',' << csv_cell(cols[i]["key"].get<std::string>()) << ',' << csv_value(r[i]) << "\r\n";
    }
  }
  return o.str();
}

}  // namespace

json template_view(const json& doc, OutputFormat format) {
  json v = json::object();
  for (const char* k : {"schema", "kind", "title", "tenant", "subject", "generated_at", "status"}) v[k] = doc.value(k, json(""));
  v["schema_version"] = doc.value("schema_version", 0);
  v["since"] = doc["period"].value("since", std::string());
  v["until"] = doc["period"].value("until", std::string());
  v["no_data"] = doc.value("status", std::string()) == "no_data";
  v["has_subject"] = !doc.value("subject", std::string()).empty();
  v["has_since"] = !v["since"].get<std::string>().empty();
  json notes = json::array();
  for (auto& n : doc.value("notes", json::array())) notes.push_back({{"text", n}});
  v["notes"] = notes;
  v["has_notes"] = !notes.empty();
  json sections = json::array();
  size_t index = 0;
  for (auto& s : doc["sections"]) {
    ++index;
    json out = {{"id", s["id"]}, {"title", s.value("title", std::string())}, {"index", index}};
    out["description"] = s.value("description", std::string());
    out["has_description"] = !out["description"].get<std::string>().empty();
    json facts = json::array();
    for (auto& f : s.value("facts", json::array())) facts.push_back({{"label", f["label"]}, {"value", display(f["value"])}});
    out["facts"] = facts;
    out["has_facts"] = !facts.empty();
    if (format == OutputFormat::md) {
      std::string md;
      for (auto& f : facts)
        md += (md.empty() ? "" : "\n") + std::string("- **") + markdown_escape(f["label"].get<std::string>()) + "**: " +
              markdown_escape(f["value"].get<std::string>());
      out["md_facts"] = md;
    }
    const bool has_table = s.contains("table") && !s["table"]["rows"].empty();
    out["has_table"] = has_table;
    out["empty"] = s.contains("table") && s["table"]["rows"].empty();
    out["empty_note"] = s.value("empty_note", std::string("No rows in this period."));
    out["table_id"] = "t-" + s["id"].get<std::string>();
    if (has_table) {
      json columns = json::array(), rows = json::array();
      for (auto& c : s["table"]["columns"]) columns.push_back({{"label", c["label"]}, {"key", c["key"]}, {"numeric", numeric_type(c)}});
      for (auto& r : s["table"]["rows"]) {
        json cells = json::array();
        for (size_t i = 0; i < columns.size(); ++i)
          cells.push_back({{"value", display(i < r.size() ? r[i] : json())}, {"numeric", columns[i]["numeric"]}});
        rows.push_back({{"cells", cells}});
      }
      out["columns"] = columns;
      out["rows"] = rows;
      out["row_count"] = rows.size();
      if (format == OutputFormat::text) out["text_table"] = text_table(s["table"]);
      if (format == OutputFormat::md) {
        std::string t = md_table(s["table"]);
        if (!t.empty() && t.back() == '\n') t.pop_back();  // the template places the blank lines
        out["md_table"] = t;
      }
      if (format == OutputFormat::html || format == OutputFormat::pdf) {
        std::string svg = render_chart_svg(s, out["table_id"].get<std::string>());
        out["has_chart"] = !svg.empty();
        out["chart_svg"] = svg;
      }
    }
    sections.push_back(std::move(out));
  }
  v["sections"] = sections;
  return v;
}

std::string render(const json& doc, const RenderOptions& options) {
  const auto dump = [&] { return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; };
  switch (options.format) {
    case OutputFormat::json: return dump();
    case OutputFormat::csv: return render_csv(doc, options.section);
    default: break;
  }
  TemplateSet embedded;
  const TemplateSet& set = options.templates ? *options.templates : embedded;
  const std::string kind = doc.value("kind", std::string("report"));
  const OutputFormat f = options.format;
  const std::string fname = f == OutputFormat::pdf ? "html" : output_format_name(f);
  const Escaping esc = f == OutputFormat::md ? Escaping::markdown : f == OutputFormat::text ? Escaping::text : Escaping::html;
  std::string out = render_template(set.find(kind, fname), template_view(doc, f), esc);
  if (f == OutputFormat::pdf) return html_to_pdf(out);
  return out;
}

}  // namespace opskit::report
