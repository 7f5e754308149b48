#include "core/jsonl.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/text.hpp"

namespace opskit::jsonl {

Reader::Reader(std::istream& in, std::string name) : in_(&in), name_(std::move(name)) {}

std::unique_ptr<Reader> Reader::open(const std::string& path) {
  if (path == "-") return std::make_unique<Reader>(std::cin, "-");
  auto f = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*f) throw DataError(SourceLocation{path, 0, 0, {}}, std::string("cannot open: ") + std::strerror(errno));
  auto r = std::make_unique<Reader>(*f, path);
  r->owned_ = std::move(f);
  return r;
}

bool Reader::next(nlohmann::json& value) {
  while (std::getline(*in_, text_)) {
    ++line_;
    if (line_ == 1 && text_.size() >= 3 && text_.compare(0, 3, "\xEF\xBB\xBF") == 0) text_.erase(0, 3);
    if (!text_.empty() && text_.back() == '\r') text_.pop_back();
    if (text::trim(text_).empty()) continue;
    size_t bad = 0;
    if (!text::valid_utf8(text_, &bad))
      throw DataError(SourceLocation{name_, line_, static_cast<long>(bad + 1), {}}, "invalid UTF-8");
    try {
      value = nlohmann::json::parse(text_);
    } catch (const nlohmann::json::parse_error& e) {
      long col = e.byte > 0 ? static_cast<long>(e.byte) : 0;
      std::string msg = e.what();
      // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1, column N: "
      auto colon = msg.find(": ");
      if (colon != std::string::npos) msg = msg.substr(colon + 2);
      throw DataError(SourceLocation{name_, line_, col, {}}, "malformed JSON: " + msg);
    }
    return true;
  }
  if (in_->bad()) throw DataError(SourceLocation{name_, line_, 0, {}}, "read error");
  return false;
}

}  // namespace opskit::jsonl
