#include <cmath>
#include <cstdio>

#include "core/text.hpp"
#include "store/store.hpp"

namespace opskit::store {

int64_t Row::integer(size_t i, int64_t fallback) const {
  const Value& v = cells_.at(i);
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto d = std::get_if<double>(&v)) return static_cast<int64_t>(std::llround(*d));
  if (auto s = std::get_if<std::string>(&v)) {
    long long n;
    if (text::parse_int(*s, n)) return n;
    double d;
    if (text::parse_double(*s, d)) return static_cast<int64_t>(std::llround(d));
    if (*s == "t" || *s == "true") return 1;
    if (*s == "f" || *s == "false") return 0;
  }
  return fallback;
}

double Row::real(size_t i, double fallback) const {
  const Value& v = cells_.at(i);
  if (auto d = std::get_if<double>(&v)) return *d;
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (auto s = std::get_if<std::string>(&v)) {
    double d;
    if (text::parse_double(*s, d)) return d;
  }
  return fallback;
}

std::string Row::text(size_t i, const std::string& fallback) const {
  const Value& v = cells_.at(i);
  if (auto s = std::get_if<std::string>(&v)) return *s;
  if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
  if (auto d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  return fallback;
}

size_t Row::index(std::string_view column) const {
  for (size_t i = 0; i < names_->size(); ++i)
    if ((*names_)[i] == column) return i;
  throw InternalError("no column '" + std::string(column) + "' in the result");
}

}  // namespace opskit::store
