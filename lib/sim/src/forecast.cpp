#include "sim/forecast.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace opskit::sim {

double normal_quantile_two_sided(double c) {
  if (std::fabs(c - 0.80) < 1e-9) return 1.2815515655446004;
  if (std::fabs(c - 0.90) < 1e-9) return 1.6448536269514722;
  if (std::fabs(c - 0.95) < 1e-9) return 1.959963984540054;
  if (std::fabs(c - 0.99) < 1e-9) return 2.5758293035489004;
  throw UsageError("--interval must be 80, 90, 95 or 99");
}

namespace {

struct Fit {
  double sse = std::numeric_limits<double>::infinity();
  double level = 0, trend = 0;
  std::vector<double> seasonal, fitted;
};

// One pass of the additive recursions; m = 0 means no season.
Fit run(const std::vector<double>& y, int m, double a, double b, double g) {
  Fit f;
  const size_t n = y.size();
  f.fitted.assign(n, std::numeric_limits<double>::quiet_NaN());
  size_t start;
  double level, trend;
  std::vector<double> s;
  if (m > 1) {
    double m1 = 0, m2 = 0;
    for (int i = 0; i < m; ++i) {
      m1 += y[i];
      m2 += y[m + i];
    }
    m1 /= m;
    m2 /= m;
    level = m1;
    trend = (m2 - m1) / m;
    s.resize(m);
    for (int i = 0; i < m; ++i) s[i] = y[i] - (m1 + (i - (m - 1) / 2.0) * trend);
    // Start at the end of the first season.
    level = m1 + ((m - 1) / 2.0) * trend;
    start = m;
  } else {
    level = y[0];
    trend = y[1] - y[0];
    start = 1;
    level = y[0];
  }
  double sse = 0;
  for (size_t t = start; t < n; ++t) {
    double season = m > 1 ? s[t % m] : 0;
    double pred = level + trend + season;
    f.fitted[t] = pred;
    double e = y[t] - pred;
    sse += e * e;
    double new_level = a * (y[t] - season) + (1 - a) * (level + trend);
    trend = b * (new_level - level) + (1 - b) * trend;
    if (m > 1) s[t % m] = g * (y[t] - new_level) + (1 - g) * season;
    level = new_level;
  }
  f.sse = sse;
  f.level = level;
  f.trend = trend;
  f.seasonal = s;
  return f;
}

}  // namespace

Forecast holt_winters(const std::vector<double>& y, const ForecastOptions& opt) {
  if (y.size() < 4) throw DataError("a forecast needs at least 4 days of history, got " + std::to_string(y.size()));
  for (double v : y)
    if (!std::isfinite(v)) throw DataError("history contains a value that is not a finite number");
  if (opt.horizon_days < 1) throw UsageError("--horizon must be at least 1 day");
  double z = normal_quantile_two_sided(opt.interval);
  int m = opt.season > 1 && y.size() >= static_cast<size_t>(2 * opt.season) ? opt.season : 0;
  // Grid search, then two refinements around the best point.
  double best_a = 0.5, best_b = 0.1, best_g = 0.1, best = std::numeric_limits<double>::infinity();
  double step = 0.1;
  double ca = 0.5, cb = 0.5, cg = 0.5;
  for (int round = 0; round < 3; ++round) {
    for (int i = -4; i <= 4; ++i)
      for (int j = -4; j <= 4; ++j)
        for (int k = (m ? -4 : 0); k <= (m ? 4 : 0); ++k) {
          double a = ca + i * step, b = cb + j * step, g = m ? cg + k * step : 0;
          if (a <= 0 || a >= 1 || b < 0 || b >= 1 || g < 0 || g >= 1) continue;
          double sse = run(y, m, a, b, g).sse;
          if (sse < best) {
            best = sse;
            best_a = a;
            best_b = b;
            best_g = g;
          }
        }
    ca = best_a;
    cb = best_b;
    cg = best_g;
    step /= 4;
  }
  Fit f = run(y, m, best_a, best_b, best_g);
  Forecast out;
  out.alpha = best_a;
  out.beta = best_b;
  out.gamma = best_g;
  out.season = m;
  out.fitted = f.fitted;
  size_t count = 0;
  for (double v : f.fitted)
    if (!std::isnan(v)) ++count;
  size_t params = 3 + (m ? 1 : 0);
  out.sigma = std::sqrt(f.sse / std::max<double>(1.0, static_cast<double>(count) - params));
  for (size_t t = 0; t < y.size(); ++t)
    if (!std::isnan(f.fitted[t]) && out.sigma > 0 && std::fabs(y[t] - f.fitted[t]) > opt.anomaly_z * out.sigma)
      out.anomalies.push_back(static_cast<int>(t));
  const size_t n = y.size();
  double var_factor = 1;  // 1 + sum_{j<h} c_j^2, c_j = a(1 + j b) + g [j mod m == 0]
  for (int h = 1; h <= opt.horizon_days; ++h) {
    if (h > 1) {
      int j = h - 1;
      double c = best_a * (1 + j * best_b) + ((m && j % m == 0) ? best_g : 0);
      var_factor += c * c;
    }
    double season = m ? f.seasonal[(n + h - 1) % m] : 0;
    double mean = f.level + h * f.trend + season;
    double half = z * out.sigma * std::sqrt(var_factor);
    out.points.push_back({h, mean, mean - half, mean + half});
  }
  return out;
}

}  // namespace opskit::sim
