#include "core/csv.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/text.hpp"

namespace opskit::csv {

namespace {
constexpr size_t kBufferSize = 1 << 20;
}

std::string_view Record::operator[](size_t i) const {
  uint32_t begin = i == 0 ? 0 : ends_.at(i - 1);
  return std::string_view(data_).substr(begin, ends_.at(i) - begin);
}

std::optional<std::string_view> Record::get(std::string_view column) const {
  int idx = reader_ ? reader_->column_index(column) : -1;
  if (idx < 0 || static_cast<size_t>(idx) >= size()) return std::nullopt;
  return (*this)[static_cast<size_t>(idx)];
}

std::string_view Record::operator[](std::string_view column) const {
  int idx = reader_ ? reader_->column_index(column) : -1;
  if (idx < 0) throw DataError(SourceLocation{reader_ ? reader_->name() : "", line_, 0, std::string(column)}, "no such column in the header");
  if (static_cast<size_t>(idx) >= size()) return {};
  return (*this)[static_cast<size_t>(idx)];
}

SourceLocation Record::where(size_t i) const {
  SourceLocation loc{reader_ ? reader_->name() : "", line_, 0, {}};
  if (i < columns_.size()) loc.column = columns_[i];
  if (reader_ && i < reader_->header().size()) loc.field = reader_->header()[i];
  return loc;
}

SourceLocation Record::where(std::string_view column) const {
  int idx = reader_ ? reader_->column_index(column) : -1;
  if (idx < 0) return SourceLocation{reader_ ? reader_->name() : "", line_, 0, std::string(column)};
  return where(static_cast<size_t>(idx));
}

Reader::Reader(std::istream& in, std::string name, Options options)
    : in_(&in), name_(std::move(name)), options_(options), buf_(kBufferSize) {
  if (!fill()) return;
  // A UTF-8 byte-order mark is not part of the first field.
  if (end_ - pos_ >= 3 && static_cast<unsigned char>(buf_[pos_]) == 0xEF &&
      static_cast<unsigned char>(buf_[pos_ + 1]) == 0xBB && static_cast<unsigned char>(buf_[pos_ + 2]) == 0xBF) {
    pos_ += 3;
    consumed_ += 3;
    line_start_ = consumed_;
  }
  if (options_.has_header) {
    Record r;
    if (next_record(r)) {
      for (size_t i = 0; i < r.size(); ++i) {
        header_.emplace_back(text::trim(r[i]));
        index_.emplace(header_.back(), static_cast<int>(i));
      }
      if (options_.trim_trailing_empty && !header_.empty() && header_.back().empty()) header_.pop_back();
    }
  }
}

std::unique_ptr<Reader> Reader::open(const std::string& path, Options options) {
  if (path == "-") return std::make_unique<Reader>(std::cin, "-", options);
  auto f = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*f) throw DataError(SourceLocation{path, 0, 0, {}}, std::string("cannot open: ") + std::strerror(errno));
  auto r = std::make_unique<Reader>(*f, path, options);
  r->owned_ = std::move(f);
  return r;
}

Reader::~Reader() = default;

int Reader::column_index(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? -1 : it->second;
}

void Reader::require_columns(const std::vector<std::string>& names) const {
  for (const auto& n : names)
    if (column_index(n) < 0) throw DataError(SourceLocation{name_, 1, 0, n}, "required column is missing from the header");
}

bool Reader::fill() {
  if (eof_) return false;
  pos_ = 0;
  end_ = 0;
  in_->read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  end_ = static_cast<size_t>(in_->gcount());
  if (end_ == 0) {
    eof_ = true;
    if (in_->bad()) throw DataError(SourceLocation{name_, line_, 0, {}}, "read error");
    return false;
  }
  return true;
}

bool Reader::next(Record& r) {
  for (;;) {
    if (!next_record(r)) return false;
    // A blank line is not a record.
    if (r.size() == 1 && r.data_.empty()) continue;
    break;
  }
  if (options_.trim_trailing_empty && r.size() == header_.size() + 1 && r[r.size() - 1].empty()) {
    r.ends_.pop_back();
    r.columns_.pop_back();
  }
  if (options_.has_header && !options_.allow_ragged && r.size() != header_.size()) {
    throw DataError(SourceLocation{name_, r.line_, 0, {}},
                    "expected " + std::to_string(header_.size()) + " fields, found " + std::to_string(r.size()));
  }
  if (options_.validate_utf8) {
    size_t bad = 0;
    if (!text::valid_utf8(r.data_, &bad)) {
      size_t field = 0;
      while (field + 1 < r.ends_.size() && r.ends_[field] <= bad) ++field;
      auto loc = r.where(field);
      throw DataError(loc, "invalid UTF-8");
    }
  }
  return true;
}

// Reads one physical record (which may span lines inside quotes).
bool Reader::next_record(Record& r) {
  r.reader_ = this;
  r.data_.clear();
  r.ends_.clear();
  r.columns_.clear();
  if (pos_ >= end_ && !fill()) return false;
  r.line_ = line_;
  const char sep = options_.separator;
  auto column_now = [&] { return static_cast<uint32_t>(consumed_ - line_start_ + 1); };
  for (;;) {  // one field per iteration
    if (pos_ >= end_ && !fill()) {
      r.ends_.push_back(static_cast<uint32_t>(r.data_.size()));
      r.columns_.push_back(column_now());
      return true;
    }
    r.columns_.push_back(column_now());
    if (buf_[pos_] == '"') {
      long start_line = line_;
      uint32_t start_col = column_now();
      ++pos_;
      ++consumed_;
      for (;;) {
        if (pos_ >= end_ && !fill())
          throw DataError(SourceLocation{name_, start_line, start_col, field_name(r.ends_.size())},
                          "unterminated quoted field");
        const char* b = buf_.data() + pos_;
        const char* q = static_cast<const char*>(std::memchr(b, '"', end_ - pos_));
        const char* stop = q ? q : buf_.data() + end_;
        // Count newlines inside the quoted chunk for line numbers.
        for (const char* p = b; p < stop; ++p)
          if (*p == '\n') {
            ++line_;
            line_start_ = consumed_ + static_cast<uint64_t>(p - b) + 1;
          }
        r.data_.append(b, stop);
        consumed_ += static_cast<uint64_t>(stop - b);
        pos_ += static_cast<size_t>(stop - b);
        if (!q) continue;
        ++pos_;  // the quote
        ++consumed_;
        if (pos_ >= end_ && !fill()) break;
        if (buf_[pos_] == '"') {  // doubled quote
          r.data_.push_back('"');
          ++pos_;
          ++consumed_;
          continue;
        }
        break;
      }
      if (pos_ < end_ || fill()) {
        char c = buf_[pos_];
        if (c != sep && c != '\r' && c != '\n')
          throw DataError(SourceLocation{name_, line_, column_now(), field_name(r.ends_.size())},
                          "unexpected character after a closing quote");
      }
    } else {
      for (;;) {
        const char* b = buf_.data() + pos_;
        const char* e = buf_.data() + end_;
        const char* p = b;
        while (p < e && *p != sep && *p != '\n' && *p != '\r') ++p;
        r.data_.append(b, p);
        consumed_ += static_cast<uint64_t>(p - b);
        pos_ += static_cast<size_t>(p - b);
        if (p < e || !fill()) break;
      }
    }
    r.ends_.push_back(static_cast<uint32_t>(r.data_.size()));
    if (pos_ >= end_ && !fill()) return true;
    char c = buf_[pos_];
    ++pos_;
    ++consumed_;
    if (c == sep) continue;
    if (c == '\r') {
      if ((pos_ < end_ || fill()) && buf_[pos_] == '\n') {
        ++pos_;
        ++consumed_;
      }
    }
    ++line_;
    line_start_ = consumed_;
    return true;
  }
}

std::string Reader::field_name(size_t i) const { return i < header_.size() ? header_[i] : std::string(); }

std::vector<std::string> split_line(std::string_view line, char separator) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur.push_back(c);
      }
    } else if (c == '"' && cur.empty()) {
      quoted = true;
    } else if (c == separator) {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(std::move(cur));
  return out;
}

std::string escape(std::string_view value, char separator, bool neutralise_formulas) {
  std::string v(value);
  if (neutralise_formulas && !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r')) {
    // A leading sign of a plain number is data, not a formula.
    double d;
    if (!((v[0] == '-' || v[0] == '+') && text::parse_double(v, d))) v.insert(v.begin(), '\'');
  }
  bool needs = v.find_first_of(std::string{separator, '"', '\n', '\r'}) != std::string::npos;
  if (!needs) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace opskit::csv
