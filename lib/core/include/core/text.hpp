#pragma once
// Small string helpers shared by every module (one home each).
#include <string>
#include <string_view>
#include <vector>

namespace opskit::text {

std::string_view trim(std::string_view s);
std::string lower(std::string_view s);  // ASCII only
std::vector<std::string> split(std::string_view s, char sep);
bool starts_with_icase(std::string_view s, std::string_view prefix);
bool iequals(std::string_view a, std::string_view b);
// True when `s` is well-formed UTF-8; on failure `bad_offset` is the first bad byte.
bool valid_utf8(std::string_view s, size_t* bad_offset = nullptr);
// Parses a whole string as a number; false when anything is left over.
bool parse_double(std::string_view s, double& out);
bool parse_int(std::string_view s, long long& out);
// Reads a whole small file (configs, templates); throws DataError when unreadable.
std::string read_file(const std::string& path);
// Writes atomically: a temporary file beside `path`, then rename.
void write_file_atomic(const std::string& path, std::string_view content);

}  // namespace opskit::text
