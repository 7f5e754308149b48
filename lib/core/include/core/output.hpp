#pragma once
// Data on stdout in the format the user chose. --format is a contract that
// scripts rely on: json = one JSON object per line; csv = a header and
// RFC 4180 rows with formulas neutralised; text = an aligned table for people.
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace opskit {

enum class Format { text, json, csv };
Format parse_format(const std::string& s);  // throws UsageError
const char* format_name(Format f);

class RowWriter {
 public:
  RowWriter(std::ostream& out, Format format, std::vector<std::string> columns);
  ~RowWriter();
  // Writes one row; keys not among the columns are kept in json output only.
  void row(const nlohmann::json& object);
  void finish();  // flushes the text table; called by the destructor too

 private:
  void flush_text();
  std::ostream& out_;
  Format format_;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> pending_;
  bool header_written_ = false, finished_ = false;
};

// A JSON value as a cell: strings bare, null empty, numbers shortest form.
std::string cell_text(const nlohmann::json& v);

// Prometheus text exposition for node_exporter's textfile collector, written atomically.
class MetricsFile {
 public:
  void gauge(const std::string& name, double value, const std::string& help,
             const std::vector<std::pair<std::string, std::string>>& labels = {});
  void counter(const std::string& name, double value, const std::string& help,
               const std::vector<std::pair<std::string, std::string>>& labels = {});
  std::string text() const;
  void write(const std::string& path) const;

 private:
  void add(const char* type, const std::string& name, double value, const std::string& help,
           const std::vector<std::pair<std::string, std::string>>& labels);
  std::vector<std::string> lines_;
  std::vector<std::string> declared_;
};

}  // namespace opskit
