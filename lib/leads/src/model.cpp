#include "leads/model.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/text.hpp"

namespace opskit::leads {

const char* model_kind_name(ModelKind k) { return k == ModelKind::linear ? "linear" : "gbdt"; }

ModelKind parse_model_kind(const std::string& s) {
  if (s == "linear" || s == "logistic") return ModelKind::linear;
  if (s == "gbdt" || s == "trees") return ModelKind::gbdt;
  throw UsageError("unknown model kind '" + s + "' (linear or gbdt)");
}

nlohmann::json reasons_json(const std::vector<Reason>& r) {
  auto a = nlohmann::json::array();
  for (const auto& x : r)
    a.push_back({{"feature", std::string(x.input)},
                 {"reason", std::string(x.description)},
                 {"contribution", std::round(x.contribution * 1e4) / 1e4}});
  return a;
}

int Model::score_of(double p) { return int(std::lround(std::clamp(p, 0.0, 1.0) * 100)); }

void Model::contributions(const uint8_t* codes, double* phi) const {
  if (kind == ModelKind::linear) linear.contributions(codes, phi);
  else gbdt.contributions(codes, phi);
}

namespace {

// The k largest magnitudes, largest first, ties by input order, into a
// k-slot list. Inputs are scanned in `order` (largest possible first, or
// null: input order), so after the first few most fall below the list's
// last slot and are passed over by one well-predicted compare. Magnitudes
// compare as their bits: for doubles >= 0 the order is the same.
void top_by_magnitude(const double* phi, const uint32_t* order, size_t w, size_t k, int64_t* tv, uint64_t* ti) {
  std::fill(tv, tv + k, int64_t(-1));  // below every magnitude
  std::fill(ti, ti + k, ~uint64_t(0));
  for (size_t n = 0; n < w; ++n) {
    const uint64_t i = order ? order[n] : n;
    const int64_t v = std::bit_cast<int64_t>(std::abs(phi[i]));
    if (v < tv[k - 1] || (v == tv[k - 1] && i > ti[k - 1])) continue;
    size_t j = k - 1;
    for (; j > 0 && (v > tv[j - 1] || (v == tv[j - 1] && i < ti[j - 1])); --j) {
      tv[j] = tv[j - 1];
      ti[j] = ti[j - 1];
    }
    tv[j] = v;
    ti[j] = i;
  }
}

}  // namespace

std::vector<Reason> Model::reasons(const uint8_t* codes, int k) const {
  std::vector<Reason> out;
  reasons(codes, k, out);
  return out;
}

void Model::reasons(const uint8_t* codes, int k, std::vector<Reason>& out) const {
  const size_t w = encoder.width();
  thread_local std::vector<double> phi;
  phi.resize(w);
  contributions(codes, phi.data());
  const size_t kk = std::min<size_t>(size_t(std::max(k, 0)), w);
  int64_t top_v[16];
  uint64_t top_i[16];
  thread_local std::vector<int64_t> big_v;
  thread_local std::vector<uint64_t> big_i;
  int64_t* tv = top_v;
  uint64_t* ti = top_i;
  if (kk > 16) {  // beyond the CLI's limit of 10
    big_v.resize(kk);
    big_i.resize(kk);
    tv = big_v.data();
    ti = big_i.data();
  }
  if (kk > 0)
    top_by_magnitude(phi.data(), kind == ModelKind::gbdt ? gbdt.reason_order().data() : nullptr, w, kk, tv, ti);
  out.clear();
  for (size_t j = 0; j < kk && tv[j] >= 0; ++j) {
    const auto& in = encoder.inputs()[ti[j]];
    out.push_back({in.name, in.description(codes[ti[j]]), phi[ti[j]]});
  }
}

std::vector<int> Model::codes_per_input() const {
  std::vector<int> c;
  for (const auto& in : encoder.inputs()) c.push_back(in.codes());
  return c;
}

static nlohmann::json body(const Model& m) {
  nlohmann::json j{{"format", "opskit-lead-model"},
                   {"format_version", Model::format_version},
                   {"kind", model_kind_name(m.kind)},
                   {"spec", m.spec.to_json()},
                   {"spec_hash", m.spec.hash()},
                   {"encoder", m.encoder.to_json()},
                   {"calibration", m.calibration.to_json()},
                   {"metrics", m.metrics},
                   {"training", m.training}};
  if (m.kind == ModelKind::linear) j["linear"] = m.linear.to_json();
  else j["gbdt"] = m.gbdt.to_json();
  return j;
}

void Model::seal() {
  version = std::string(kind == ModelKind::linear ? "lin-" : "gbdt-") + sha256_hex(body(*this).dump()).substr(0, 12);
}

nlohmann::json Model::to_json() const {
  auto j = body(*this);
  j["version"] = version;
  return j;
}

Model Model::from_json(const nlohmann::json& j, const std::string& origin) {
  auto fail = [&](const std::string& what) { return DataError(SourceLocation{origin, 0, 0, "model"}, what); };
  if (!j.is_object() || j.value("format", "") != "opskit-lead-model") throw fail("not an opskit lead model file");
  try {
    int fv = j.at("format_version").get<int>();
    if (fv > format_version)
      throw fail("model format version " + std::to_string(fv) + " is newer than this score-leads supports (" +
                 std::to_string(format_version) + "); upgrade score-leads");
    if (fv < 1) throw fail("bad model format version");
    Model m;
    m.version = j.at("version").get<std::string>();
    m.kind = j.at("kind").get<std::string>() == "gbdt" ? ModelKind::gbdt : ModelKind::linear;
    if (j.at("kind") != "gbdt" && j.at("kind") != "linear") throw fail("unknown model kind");
    m.spec = FeatureSpec::from_json(j.at("spec"), origin);
    if (j.at("spec_hash").get<std::string>() != m.spec.hash()) throw fail("the embedded feature spec does not match its hash");
    m.encoder = Encoder::from_json(j.at("encoder"));
    for (const auto& in : m.encoder.inputs())
      if (in.feature >= m.spec.features.size()) throw fail("encoder input '" + in.name + "' names no spec feature");
    if (m.encoder.width() == 0) throw fail("model has no inputs");
    m.calibration = Calibration::from_json(j.at("calibration"));
    m.metrics = j.value("metrics", nlohmann::json::object());
    m.training = j.value("training", nlohmann::json::object());
    if (m.kind == ModelKind::linear) m.linear = LinearModel::from_json(j.at("linear"), m.codes_per_input());
    else m.gbdt = GbdtModel::from_json(j.at("gbdt"), m.encoder.width());
    return m;
  } catch (const DataError& e) {
    if (e.where().file.empty()) throw fail(e.what());
    throw;
  } catch (const nlohmann::json::exception& e) {
    throw fail(std::string("malformed model file: ") + e.what());
  } catch (const Error& e) {
    throw fail(std::string("malformed model file: ") + e.what());
  }
}

Model Model::parse(const std::string& text, const std::string& origin) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(SourceLocation{origin, 0, 0, "model"}, std::string("model file is not JSON: ") + e.what());
  }
  return from_json(j, origin);
}

Model Model::load(const std::string& path) { return parse(text::read_file(path), path); }

void Model::save(const std::string& path) const { text::write_file_atomic(path, to_json().dump(1) + "\n"); }

void Model::require_spec(const FeatureSpec& s, const std::string& spec_origin) const {
  if (s.hash() != spec.hash())
    throw DataError(SourceLocation{spec_origin, 0, 0, "spec"},
                    "model " + version + " was trained with feature spec '" + spec.name +
                        "' (a different spec); retrain or score with the model's own spec");
}

}  // namespace opskit::leads
