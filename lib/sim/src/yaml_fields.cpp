#include "yaml_fields.hpp"

namespace opskit::sim::yaml_fields {

SourceLocation at(const std::string& file, const YAML::Node& n, const std::string& field) {
  SourceLocation w;
  w.file = file;
  auto m = n.Mark();
  if (!m.is_null()) {
    w.line = m.line + 1;
    w.column = m.column + 1;
  }
  w.field = field;
  return w;
}

std::string scalar(const std::string& file, const YAML::Node& n, const std::string& field) {
  if (!n.IsScalar()) throw DataError(at(file, n, field), "expected a scalar value");
  return n.Scalar();
}

YAML::Node parse(std::string_view text, const std::string& file) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    SourceLocation w;
    w.file = file;
    if (!e.mark.is_null()) {
      w.line = e.mark.line + 1;
      w.column = e.mark.column + 1;
    }
    throw DataError(w, "malformed YAML/JSON: " + e.msg);
  }
}

}  // namespace opskit::sim::yaml_fields
