#pragma once
// The project's one CSV reader: streaming RFC 4180 (quoted fields with
// separators, doubled quotes and newlines inside, CRLF or LF, a UTF-8 BOM),
// a configurable separator, header mapping by column name, UTF-8 validation.
// It holds one record at a time, never the whole input, and every error
// names file:line:column.
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace opskit::csv {

struct Options {
  char separator = ',';
  bool has_header = true;
  bool validate_utf8 = true;
  bool allow_ragged = false;      // rows with fewer/more columns than the header
  bool trim_trailing_empty = false;  // drop a trailing empty column (lines ending in a separator)
};

class Reader;

// One record; valid until the next call to Reader::next().
class Record {
 public:
  size_t size() const { return ends_.size(); }
  std::string_view operator[](size_t i) const;
  // By header name; throws DataError naming the column when absent from the header.
  std::string_view operator[](std::string_view column) const;
  // By header name; nullopt when the column is absent from the header.
  std::optional<std::string_view> get(std::string_view column) const;
  long line() const { return line_; }  // line where the record starts
  // Location of field i for error messages.
  SourceLocation where(size_t i) const;
  SourceLocation where(std::string_view column) const;

 private:
  friend class Reader;
  const Reader* reader_ = nullptr;
  std::string data_;
  std::vector<uint32_t> ends_;
  std::vector<uint32_t> columns_;  // 1-based column of each field start on its line
  long line_ = 0;
};

class Reader {
 public:
  // Reads from a stream (not owned); `name` is used in errors ("-" for stdin).
  Reader(std::istream& in, std::string name, Options options = {});
  // Opens a file; "-" means stdin. Throws DataError if it cannot be opened.
  static std::unique_ptr<Reader> open(const std::string& path, Options options = {});
  ~Reader();

  // The header (empty when has_header is false).
  const std::vector<std::string>& header() const { return header_; }
  // Index of a header column, or -1.
  int column_index(std::string_view name) const;
  // Throws DataError naming the first missing required column.
  void require_columns(const std::vector<std::string>& names) const;
  // Reads the next record; false at end of input. Throws DataError on malformed input.
  bool next(Record& record);
  const std::string& name() const { return name_; }
  uint64_t bytes_read() const { return consumed_; }

 private:
  friend class Record;
  bool fill();
  bool next_record(Record& r);
  std::string field_name(size_t i) const;
  std::unique_ptr<std::istream> owned_;
  std::istream* in_;
  std::string name_;
  Options options_;
  std::vector<std::string> header_;
  std::unordered_map<std::string, int> index_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  long line_ = 1;
  uint64_t consumed_ = 0;    // bytes consumed so far
  uint64_t line_start_ = 0;  // byte offset where the current line starts
};

// Splits one line (no newline inside quotes) with the same rules; for small
// in-memory uses such as --set arguments or header lines.
std::vector<std::string> split_line(std::string_view line, char separator = ',');

// Quotes a value for CSV output when needed (separator, quote, CR/LF), and
// neutralises spreadsheet formulas (a leading = + - @ gets a ' prefix) when
// `neutralise_formulas` is set.
std::string escape(std::string_view value, char separator = ',', bool neutralise_formulas = true);

}  // namespace opskit::csv
