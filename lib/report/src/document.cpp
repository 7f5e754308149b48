#include "report/document.hpp"

#include <algorithm>
#include <variant>

namespace opskit::report {

std::string clean_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n') out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Length and minimum code point of a well-formed sequence.
    int len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool ok = len > 0 && i + len <= s.size();
    uint32_t cp = ok ? (c & (0xff >> (len + 1))) : 0;
    for (int k = 1; ok && k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) ok = false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (ok && len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (ok && len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ok = false;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

nlohmann::json cell(const store::Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return nullptr;
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return *d;
  return clean_text(std::get<std::string>(v));
}

Section::Section(std::string id, std::string title, std::string description) {
  j_ = {{"id", std::move(id)}, {"title", std::move(title)}};
  if (!description.empty()) j_["description"] = std::move(description);
}

Section& Section::fact(const std::string& label, const nlohmann::json& value) {
  j_["facts"].push_back({{"label", label}, {"value", value.is_string() ? nlohmann::json(clean_text(value.get<std::string>())) : value}});
  return *this;
}

Section& Section::columns(std::vector<Column> cols) {
  nlohmann::json c = nlohmann::json::array();
  for (auto& col : cols) c.push_back({{"key", col.key}, {"label", col.label}, {"type", col.type}});
  j_["table"] = {{"columns", c}, {"rows", nlohmann::json::array()}};
  return *this;
}

Section& Section::row(nlohmann::json cells) {
  for (auto& c : cells)
    if (c.is_string()) c = clean_text(c.get<std::string>());
  j_["table"]["rows"].push_back(std::move(cells));
  return *this;
}

Section& Section::rows(const store::Rows& rows) {
  // Typed by the column, not by the backend (PostgreSQL returns numerics as text).
  const auto& cols = j_["table"]["columns"];
  const size_t n = cols.size();
  for (const auto& r : rows) {
    nlohmann::json cells = nlohmann::json::array();
    for (size_t i = 0; i < n && i < r.size(); ++i) {
      const std::string type = cols[i]["type"];
      if (r.is_null(i)) cells.push_back(nullptr);
      else if (type == "int") cells.push_back(r.integer(i));
      else if (type == "real") cells.push_back(r.real(i));
      else cells.push_back(clean_text(r.text(i)));
    }
    j_["table"]["rows"].push_back(std::move(cells));
  }
  return *this;
}

Section& Section::sort_rows(std::vector<std::pair<size_t, bool>> keys) {
  auto& rows = j_["table"]["rows"];
  std::vector<nlohmann::json> v(rows.begin(), rows.end());
  auto less = [](const nlohmann::json& a, const nlohmann::json& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() < b.get<double>();
    if (a.is_string() && b.is_string()) return a.get_ref<const std::string&>() < b.get_ref<const std::string&>();
    return a.type() < b.type();
  };
  std::stable_sort(v.begin(), v.end(), [&](const nlohmann::json& a, const nlohmann::json& b) {
    for (auto [i, desc] : keys) {
      if (less(a[i], b[i])) return !desc;
      if (less(b[i], a[i])) return desc;
    }
    return false;
  });
  rows = v;
  return *this;
}

Section& Section::chart(const std::string& type, const std::string& x, std::vector<std::string> series,
                        const std::string& unit) {
  j_["chart"] = {{"type", type}, {"x", x}, {"series", series}};
  if (!unit.empty()) j_["chart"]["unit"] = unit;
  return *this;
}

Section& Section::empty_note(const std::string& note) {
  j_["empty_note"] = note;
  return *this;
}

size_t Section::row_count() const {
  return j_.contains("table") ? j_["table"]["rows"].size() : 0;
}

nlohmann::json new_document(const std::string& kind, const std::string& title, const std::string& tenant,
                            const std::string& subject, const std::string& generated_at, const std::string& since,
                            const std::string& until) {
  return {{"schema", "opskit.report"},
          {"schema_version", kSchemaVersion},
          {"kind", kind},
          {"title", title},
          {"tenant", clean_text(tenant)},
          {"subject", clean_text(subject)},
          {"generated_at", generated_at},
          {"period", {{"since", since}, {"until", until}}},
          {"status", "ok"},
          {"notes", nlohmann::json::array()},
          {"sections", nlohmann::json::array()}};
}

void add_section(nlohmann::json& doc, const Section& s) { doc["sections"].push_back(s.json()); }
void add_note(nlohmann::json& doc, const std::string& note) { doc["notes"].push_back(clean_text(note)); }

}  // namespace opskit::report
