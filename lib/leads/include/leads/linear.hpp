#pragma once
// L2-regularised logistic regression on encoded (binned, one-hot) inputs,
// fitted by Newton's method with Eigen. One weight per (input, code), so a
// score is a bias plus one table lookup per input, and each input's
// contribution is exact: weight minus its training-average weight.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace opskit::leads {

struct LinearOptions {
  double l2 = 1.0;        // penalty on the summed log-loss (like scikit-learn's C = 1/l2)
  int max_iterations = 30;
  double tolerance = 1e-7;
};

class LinearModel {
 public:
  // codes: row-major [n][width]; codes_per_input[i] = number of codes of input i.
  static LinearModel fit(const std::vector<uint8_t>& codes, size_t n, const std::vector<int>& codes_per_input,
                         const std::vector<int8_t>& y, const std::vector<size_t>& rows, const LinearOptions& options);
  double margin(const uint8_t* x) const {
    double m = bias_;
    for (size_t i = 0; i < offsets_.size(); ++i) m += weights_[offsets_[i] + x[i]];
    return m;
  }
  // Exact contributions relative to the training average (sum = margin - expected).
  void contributions(const uint8_t* x, double* phi) const {
    for (size_t i = 0; i < offsets_.size(); ++i) phi[i] = weights_[offsets_[i] + x[i]] - mean_[i];
  }
  // Sets each input's average weight from the training code shares.
  void set_reference(const std::vector<std::vector<double>>& shares);
  double expected() const;
  size_t width() const { return offsets_.size(); }
  nlohmann::json to_json() const;
  static LinearModel from_json(const nlohmann::json& j, const std::vector<int>& codes_per_input);

 private:
  double bias_ = 0;
  std::vector<double> weights_;
  std::vector<size_t> offsets_;
  std::vector<double> mean_;
};

}  // namespace opskit::leads
