#pragma once
// Calibration: maps a model margin to a probability of conversion, fitted on
// out-of-fold margins so it is honest. Platt (a logistic curve in the
// margin) or isotonic (pool-adjacent-violators, a monotone step function).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace opskit::leads {

class Calibration {
 public:
  static Calibration fit(const std::string& method, const std::vector<double>& margin, const std::vector<int8_t>& y);
  double probability(double margin) const;
  const std::string& method() const { return method_; }
  nlohmann::json to_json() const;
  static Calibration from_json(const nlohmann::json& j);

 private:
  std::string method_ = "platt";
  bool platt_ = true;                  // method_ == "platt", tested per lead
  double a_ = 1, b_ = 0;               // platt: sigmoid(a * margin + b)
  std::vector<double> x_, p_;          // isotonic: step knots (margin, probability)
};

}  // namespace opskit::leads
