#include "core/error.hpp"

namespace opskit {

std::string SourceLocation::str() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) s += ":" + std::to_string(line);
  if (line > 0 && column > 0) s += ":" + std::to_string(column);
  if (!field.empty()) s += ": field '" + field + "'";
  return s;
}

DataError::DataError(SourceLocation where, const std::string& what)
    : Error(ExitCode::data, where.str() + ": " + what), where_(std::move(where)), reason_(what) {}

}  // namespace opskit
