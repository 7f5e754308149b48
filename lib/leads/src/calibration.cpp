#include "leads/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace opskit::leads {

Calibration Calibration::fit(const std::string& method, const std::vector<double>& margin, const std::vector<int8_t>& y) {
  Calibration c;
  c.method_ = method;
  c.platt_ = method == "platt";
  if (method == "platt") {
    // Newton on two parameters with Platt's smoothed targets.
    double pos = 0;
    for (auto v : y) pos += v == 1;
    double neg = double(y.size()) - pos;
    double tp = (pos + 1) / (pos + 2), tn = 1 / (neg + 2);
    double a = 1, b = 0;
    for (int it = 0; it < 50; ++it) {
      double g1 = 0, g2 = 0, h11 = 1e-9, h12 = 0, h22 = 1e-9;
      for (size_t i = 0; i < margin.size(); ++i) {
        double t = y[i] == 1 ? tp : tn;
        double p = 1 / (1 + std::exp(-(a * margin[i] + b)));
        double d = p - t, w = std::max(p * (1 - p), 1e-12);
        g1 += d * margin[i];
        g2 += d;
        h11 += w * margin[i] * margin[i];
        h12 += w * margin[i];
        h22 += w;
      }
      double det = h11 * h22 - h12 * h12;
      if (std::abs(det) < 1e-18) break;
      double da = (h22 * g1 - h12 * g2) / det, db = (h11 * g2 - h12 * g1) / det;
      a -= da;
      b -= db;
      if (std::abs(da) + std::abs(db) < 1e-10) break;
    }
    c.a_ = a;
    c.b_ = b;
  } else if (method == "isotonic") {
    std::vector<size_t> o(margin.size());
    std::iota(o.begin(), o.end(), 0);
    std::sort(o.begin(), o.end(), [&](size_t i, size_t j) { return margin[i] < margin[j]; });
    struct Block {
      double sum, n, x;  // sum of outcomes, rows, largest margin in the block
    };
    std::vector<Block> st;
    for (size_t i : o) {
      st.push_back({double(y[i] == 1), 1, margin[i]});
      while (st.size() > 1 && st[st.size() - 2].sum / st[st.size() - 2].n >= st.back().sum / st.back().n) {
        Block b = st.back();
        st.pop_back();
        st.back().sum += b.sum;
        st.back().n += b.n;
        st.back().x = b.x;
      }
    }
    for (auto& b : st) {
      c.x_.push_back(b.x);
      c.p_.push_back(std::clamp((b.sum + 0.5) / (b.n + 1), 1e-4, 1 - 1e-4));
    }
  } else {
    throw DataError("unknown calibration '" + method + "' (platt or isotonic)");
  }
  return c;
}

double Calibration::probability(double m) const {
  if (platt_) return 1 / (1 + std::exp(-(a_ * m + b_)));
  if (x_.empty()) return 0.5;
  auto it = std::lower_bound(x_.begin(), x_.end(), m);
  if (it == x_.end()) return p_.back();
  return p_[size_t(it - x_.begin())];
}

nlohmann::json Calibration::to_json() const {
  if (method_ == "platt") return {{"method", "platt"}, {"a", a_}, {"b", b_}};
  return {{"method", "isotonic"}, {"margin", x_}, {"probability", p_}};
}

Calibration Calibration::from_json(const nlohmann::json& j) {
  Calibration c;
  c.method_ = j.at("method").get<std::string>();
  c.platt_ = c.method_ == "platt";
  if (c.method_ == "platt") {
    c.a_ = j.at("a").get<double>();
    c.b_ = j.at("b").get<double>();
    if (!std::isfinite(c.a_) || !std::isfinite(c.b_)) throw DataError("calibration parameters must be finite");
  } else if (c.method_ == "isotonic") {
    c.x_ = j.at("margin").get<std::vector<double>>();
    c.p_ = j.at("probability").get<std::vector<double>>();
    if (c.x_.size() != c.p_.size() || c.x_.empty() || !std::is_sorted(c.x_.begin(), c.x_.end()))
      throw DataError("isotonic calibration table is malformed");
  } else {
    throw DataError("unknown calibration method '" + c.method_ + "'");
  }
  return c;
}

}  // namespace opskit::leads
