#pragma once
// The project's one JSON-lines reader: one JSON value per line, streaming,
// blank lines skipped, errors as file:line:column.
#include <istream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace opskit::jsonl {

class Reader {
 public:
  Reader(std::istream& in, std::string name);
  static std::unique_ptr<Reader> open(const std::string& path);  // "-" = stdin
  // Parses the next non-blank line into `value`; false at end. Throws DataError.
  bool next(nlohmann::json& value);
  long line() const { return line_; }
  const std::string& name() const { return name_; }
  SourceLocation where(const std::string& field = {}) const { return {name_, line_, 0, field}; }

 private:
  std::unique_ptr<std::istream> owned_;
  std::istream* in_;
  std::string name_;
  std::string text_;
  long line_ = 0;
};

}  // namespace opskit::jsonl
