#include "leads/encoder.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"

namespace opskit::leads {

int EncodedInput::codes() const {
  switch (kind) {
    case InputKind::numeric: return int(cuts.size()) + 2;
    case InputKind::categorical: return int(levels.size()) + 2;
    default: return 3;
  }
}

static std::string num_text(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

std::string EncodedInput::describe(uint8_t c) const {
  if (c == 0) return name + " missing";
  switch (kind) {
    case InputKind::numeric: {
      size_t k = c - 1;
      if (cuts.empty()) return name;
      if (k == 0) return name + " < " + num_text(cuts[0]);
      if (k >= cuts.size()) return name + " >= " + num_text(cuts.back());
      return name + " in [" + num_text(cuts[k - 1]) + ", " + num_text(cuts[k]) + ")";
    }
    case InputKind::categorical:
      return c == 1 ? name + " = other" : name + " = " + levels[c - 2];
    case InputKind::boolean: return name + (c == 2 ? " = yes" : " = no");
    case InputKind::keyword: return name + (c == 2 ? " mentioned" : " not mentioned");
  }
  return name;
}

namespace {

std::vector<double> quantile_cuts(std::vector<double> v, int bins) {
  std::vector<double> cuts;
  if (v.empty()) return cuts;
  std::sort(v.begin(), v.end());
  // Distinct values with counts.
  std::vector<std::pair<double, size_t>> distinct;
  for (double x : v) {
    if (distinct.empty() || distinct.back().first != x) distinct.push_back({x, 0});
    distinct.back().second++;
  }
  if (distinct.size() < 2) return cuts;
  // Quantile cuts (linear interpolation between order statistics); a value
  // equal to a cut starts the next bin. A value below the training minimum
  // falls in a bin no training row used, whose weight stays neutral.
  const size_t count = v.size();
  for (int k = 1; k < bins; ++k) {
    double pos = double(k) * double(count - 1) / bins;
    size_t lo = size_t(pos);
    size_t hi = std::min(lo + 1, count - 1);
    double q = v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
    if (cuts.empty() || q > cuts.back()) cuts.push_back(q);
  }
  // A dominant smallest value leaves every cut at the minimum: split it off.
  bool splits = false;
  for (double c : cuts) splits |= c > distinct.front().first;
  if (!splits) cuts.push_back((distinct[0].first + distinct[1].first) / 2);
  return cuts;
}

}  // namespace

Encoder Encoder::fit(const FeatureSpec& spec, const Dataset& data, const std::vector<size_t>& rows,
                     const EncoderOptions& options) {
  Encoder e;
  for (size_t f = 0; f < spec.features.size(); ++f) {
    const auto& def = spec.features[f];
    if (def.type == FeatureType::text) {
      for (const auto& kw : def.keywords) {
        EncodedInput in;
        in.name = def.column + ":" + kw;
        in.feature = f;
        in.kind = InputKind::keyword;
        in.keyword = text::lower(kw);
        e.inputs_.push_back(std::move(in));
      }
      continue;
    }
    EncodedInput in;
    in.name = def.column;
    in.feature = f;
    if (def.type == FeatureType::numeric || def.type == FeatureType::timestamp) {
      in.kind = InputKind::numeric;
      std::vector<double> vals;
      vals.reserve(rows.size());
      for (size_t r : rows)
        if (!std::isnan(data.num[f][r])) vals.push_back(data.num[f][r]);
      in.cuts = quantile_cuts(std::move(vals), def.bins ? def.bins : options.numeric_bins);
    } else if (def.type == FeatureType::boolean) {
      in.kind = InputKind::boolean;
    } else {
      in.kind = InputKind::categorical;
      std::map<std::string, std::pair<size_t, size_t>> counts;  // level -> (rows, positives)
      for (size_t r : rows) {
        const auto& s = data.str[f][r];
        if (s.empty()) continue;
        auto& c = counts[s];
        c.first++;
        c.second += data.target[r] == 1;
      }
      std::vector<std::pair<std::string, std::pair<size_t, size_t>>> kept(counts.begin(), counts.end());
      std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
      size_t limit = size_t(std::max(def.max_levels, 1));
      std::vector<std::pair<double, std::string>> ordered;
      for (size_t i = 0; i < kept.size() && i < limit; ++i) {
        if (kept[i].second.first < size_t(std::max(def.min_count, 1))) break;
        double rate = (kept[i].second.second + 0.5) / (kept[i].second.first + 1.0);
        ordered.push_back({rate, kept[i].first});
      }
      std::sort(ordered.begin(), ordered.end());
      for (auto& [rate, level] : ordered) in.levels.push_back(level);
      for (size_t i = 0; i < in.levels.size(); ++i) in.index[in.levels[i]] = uint8_t(i + 2);  // for encoding below
    }
    e.inputs_.push_back(std::move(in));
  }
  for (auto& in : e.inputs_)
    if (in.codes() > 255) throw DataError("feature '" + in.name + "' has too many bins or levels (max 253)");
  e.build_lookups();
  // Reference histogram, and the constant / all-missing check.
  std::vector<uint8_t> codes(e.width());
  for (auto& in : e.inputs_) in.reference.assign(in.codes(), 0.0);
  for (size_t r : rows) {
    e.encode(data, r, codes.data());
    for (size_t i = 0; i < e.width(); ++i) e.inputs_[i].reference[codes[i]] += 1;
  }
  for (auto& in : e.inputs_) {
    size_t used = 0;
    for (auto& c : in.reference) {
      used += c > 0;
      c = rows.empty() ? 0 : c / double(rows.size());
    }
    if (options.strict && used <= 1) {
      const char* why = in.reference.size() && in.reference[0] >= 1.0 ? "is missing in every training row"
                                                                       : "is constant in the training data";
      throw DataError(SourceLocation{"", 0, 0, in.name}, "feature '" + in.name + "' " + why);
    }
  }
  return e;
}

uint8_t Encoder::code(const EncodedInput& in, double num, const std::string& str) const {
  switch (in.kind) {
    case InputKind::numeric:
      if (std::isnan(num)) return 0;
      return uint8_t(1 + (std::upper_bound(in.cuts.begin(), in.cuts.end(), num) - in.cuts.begin()));
    case InputKind::boolean:
      if (std::isnan(num)) return 0;
      return num > 0.5 ? 2 : 1;
    case InputKind::categorical: {
      if (str.empty()) return 0;
      auto it = in.index.find(str);
      return it == in.index.end() ? 1 : it->second;
    }
    case InputKind::keyword:
      if (str.empty()) return 0;
      return str.find(in.keyword) != std::string::npos ? 2 : 1;
  }
  return 0;
}

void Encoder::encode(const Dataset& data, size_t r, uint8_t* out) const {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const auto& in = inputs_[i];
    out[i] = code(in, data.num[in.feature][r], data.str[in.feature][r]);
  }
}

void Encoder::encode(const ParsedRow& row, uint8_t* out) const {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const auto& in = inputs_[i];
    out[i] = code(in, row.num[in.feature], row.str[in.feature]);
  }
}

std::vector<uint8_t> Encoder::encode_all(const Dataset& data) const {
  std::vector<uint8_t> out(data.size() * width());
  for (size_t r = 0; r < data.size(); ++r) encode(data, r, out.data() + r * width());
  return out;
}

static const char* kind_name(InputKind k) {
  switch (k) {
    case InputKind::numeric: return "numeric";
    case InputKind::categorical: return "categorical";
    case InputKind::boolean: return "boolean";
    case InputKind::keyword: return "keyword";
  }
  return "?";
}

nlohmann::json Encoder::to_json() const {
  auto arr = nlohmann::json::array();
  for (const auto& in : inputs_) {
    nlohmann::json j{{"name", in.name}, {"feature", in.feature}, {"kind", kind_name(in.kind)}, {"reference", in.reference}};
    if (in.kind == InputKind::numeric) j["cuts"] = in.cuts;
    if (in.kind == InputKind::categorical) j["levels"] = in.levels;
    if (in.kind == InputKind::keyword) j["keyword"] = in.keyword;
    arr.push_back(j);
  }
  return arr;
}

Encoder Encoder::from_json(const nlohmann::json& j) {
  Encoder e;
  if (!j.is_array()) throw DataError("model encoder must be an array");
  for (const auto& x : j) {
    EncodedInput in;
    in.name = x.at("name").get<std::string>();
    in.feature = x.at("feature").get<size_t>();
    auto k = x.at("kind").get<std::string>();
    if (k == "numeric") in.kind = InputKind::numeric;
    else if (k == "categorical") in.kind = InputKind::categorical;
    else if (k == "boolean") in.kind = InputKind::boolean;
    else if (k == "keyword") in.kind = InputKind::keyword;
    else throw DataError("unknown encoder kind '" + k + "'");
    if (x.contains("cuts")) in.cuts = x["cuts"].get<std::vector<double>>();
    if (!std::is_sorted(in.cuts.begin(), in.cuts.end())) throw DataError("encoder cuts of '" + in.name + "' are not sorted");
    if (x.contains("levels")) in.levels = x["levels"].get<std::vector<std::string>>();
    if (x.contains("keyword")) in.keyword = x["keyword"].get<std::string>();
    in.reference = x.at("reference").get<std::vector<double>>();
    if (in.codes() > 255) throw DataError("encoder input '" + in.name + "' has too many codes");
    if (int(in.reference.size()) != in.codes()) throw DataError("encoder reference of '" + in.name + "' has the wrong size");
    e.inputs_.push_back(std::move(in));
  }
  e.build_lookups();
  return e;
}

void Encoder::build_lookups() {
  for (auto& in : inputs_) {
    in.index.clear();
    for (size_t i = 0; i < in.levels.size(); ++i) in.index[in.levels[i]] = uint8_t(i + 2);
    in.descriptions.clear();
    for (int c = 0; c < in.codes(); ++c) in.descriptions.push_back(in.describe(uint8_t(c)));
  }
}

}  // namespace opskit::leads
