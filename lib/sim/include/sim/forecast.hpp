#pragma once
// Baseline forecasts from a metric's daily history: additive Holt-Winters
// (level, trend, season), its three smoothing constants fitted by minimising
// the one-step-ahead squared error over a grid refined twice; prediction
// intervals from the residual variance and the standard h-step variance
// factors of the additive model; anomaly flags where a one-step residual is
// beyond `anomaly_z` standard deviations. Histories shorter than two seasons
// fall back to Holt's linear trend (no season); fewer than 4 points is an error.
#include <string>
#include <vector>

namespace opskit::sim {

struct ForecastOptions {
  int horizon_days = 30;
  int season = 7;          // days; 0 or 1 = no season
  double interval = 0.80;  // 0.80, 0.90, 0.95 or 0.99
  double anomaly_z = 3.0;
};

struct ForecastPoint {
  int day = 0;  // 1..horizon after the last history day
  double mean = 0, lo = 0, hi = 0;
};

struct Forecast {
  double alpha = 0, beta = 0, gamma = 0;
  int season = 0;
  double sigma = 0;             // residual standard deviation
  std::vector<double> fitted;   // one-step-ahead fit per history point (NaN for the first ones)
  std::vector<int> anomalies;   // history indices flagged
  std::vector<ForecastPoint> points;
};

Forecast holt_winters(const std::vector<double>& history, const ForecastOptions& opt);
double normal_quantile_two_sided(double coverage);  // 0.95 -> 1.95996...

}  // namespace opskit::sim
