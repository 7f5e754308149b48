#include "core/output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/text.hpp"

namespace opskit {

Format parse_format(const std::string& s) {
  if (s == "text" || s == "table") return Format::text;
  if (s == "json" || s == "jsonl") return Format::json;
  if (s == "csv") return Format::csv;
  throw UsageError("unknown format '" + s + "' (text, json, csv)");
}

const char* format_name(Format f) {
  switch (f) {
    case Format::text: return "text";
    case Format::json: return "json";
    case Format::csv: return "csv";
  }
  return "?";
}

std::string cell_text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    char buf[64];
    if (std::isfinite(d) && std::fabs(d) < 1e15 && d == std::floor(d)) std::snprintf(buf, sizeof buf, "%.0f", d);
    else std::snprintf(buf, sizeof buf, "%.6g", d);
    return buf;
  }
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RowWriter::RowWriter(std::ostream& out, Format format, std::vector<std::string> columns)
    : out_(out), format_(format), columns_(std::move(columns)) {}

RowWriter::~RowWriter() {
  try {
    finish();
  } catch (...) {
  }
}

void RowWriter::row(const nlohmann::json& object) {
  if (format_ == Format::json) {
    out_ << object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  std::vector<std::string> cells;
  cells.reserve(columns_.size());
  for (const auto& c : columns_) cells.push_back(object.contains(c) ? cell_text(object[c]) : std::string());
  if (format_ == Format::csv) {
    if (!header_written_) {
      for (size_t i = 0; i < columns_.size(); ++i) out_ << (i ? "," : "") << csv::escape(columns_[i]);
      out_ << '\n';
      header_written_ = true;
    }
    for (size_t i = 0; i < cells.size(); ++i) out_ << (i ? "," : "") << csv::escape(cells[i]);
    out_ << '\n';
    return;
  }
  // Text: one line per cell value (no newlines inside a table), aligned at finish.
  for (auto& c : cells) std::replace_if(c.begin(), c.end(), [](char ch) { return ch == '\n' || ch == '\r' || ch == '\t'; }, ' ');
  pending_.push_back(std::move(cells));
  if (pending_.size() >= 10000) flush_text();  // bounded memory on long listings
}

void RowWriter::finish() {
  if (finished_) return;
  finished_ = true;
  if (format_ == Format::csv && !header_written_) {
    for (size_t i = 0; i < columns_.size(); ++i) out_ << (i ? "," : "") << csv::escape(columns_[i]);
    out_ << '\n';
    header_written_ = true;
  }
  if (format_ == Format::text) flush_text();
  out_.flush();
}

void RowWriter::flush_text() {
  std::vector<size_t> width(columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) width[i] = columns_[i].size();
  auto display = [](const std::string& s) {  // count code points, not bytes
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (auto& r : pending_)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], std::min<size_t>(display(r[i]), 60));
  auto emit = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      std::string c = r[i];
      if (i + 1 < r.size()) {
        size_t d = display(c);
        if (d < width[i]) c.append(width[i] - d, ' ');
        c += "  ";
      }
      line += c;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out_ << line << '\n';
  };
  if (!header_written_) {
    std::vector<std::string> head;
    for (auto& c : columns_) head.push_back(c);
    emit(head);
    header_written_ = true;
  }
  for (auto& r : pending_) emit(r);
  pending_.clear();
}

static std::string label_text(const std::vector<std::pair<std::string, std::string>>& labels) {
  if (labels.empty()) return "";
  std::string s = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) s += ",";
    s += labels[i].first + "=\"";
    for (char c : labels[i].second) {
      if (c == '\\' || c == '"') s.push_back('\\');
      if (c == '\n') { s += "\\n"; continue; }
      s.push_back(c);
    }
    s += "\"";
  }
  return s + "}";
}

void MetricsFile::add(const char* type, const std::string& name, double value, const std::string& help,
                      const std::vector<std::pair<std::string, std::string>>& labels) {
  if (std::find(declared_.begin(), declared_.end(), name) == declared_.end()) {
    declared_.push_back(name);
    lines_.push_back("# HELP " + name + " " + help);
    lines_.push_back(std::string("# TYPE ") + name + " " + type);
  }
  std::ostringstream v;
  v.precision(17);
  v << value;
  lines_.push_back(name + label_text(labels) + " " + v.str());
}

void MetricsFile::gauge(const std::string& name, double value, const std::string& help,
                        const std::vector<std::pair<std::string, std::string>>& labels) {
  add("gauge", name, value, help, labels);
}

void MetricsFile::counter(const std::string& name, double value, const std::string& help,
                          const std::vector<std::pair<std::string, std::string>>& labels) {
  add("counter", name, value, help, labels);
}

std::string MetricsFile::text() const {
  std::string s;
  for (auto& l : lines_) s += l + "\n";
  return s;
}

void MetricsFile::write(const std::string& path) const { text::write_file_atomic(path, text()); }

}  // namespace opskit
