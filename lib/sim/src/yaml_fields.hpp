#pragma once
// Field readers shared by the sim YAML/JSON loaders (graph, initiatives):
// every error names file, line, column and field.
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "core/error.hpp"

namespace opskit::sim::yaml_fields {

// Where a node stands in its file (line and column when yaml-cpp knows them).
SourceLocation at(const std::string& file, const YAML::Node& n, const std::string& field);
// The node's scalar text; DataError when it is a map or list.
std::string scalar(const std::string& file, const YAML::Node& n, const std::string& field);
// Parses YAML or JSON text; DataError "malformed YAML/JSON" with the position.
YAML::Node parse(std::string_view text, const std::string& file);

}  // namespace opskit::sim::yaml_fields
