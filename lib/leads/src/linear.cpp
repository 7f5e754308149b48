#include "leads/linear.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

#include "core/error.hpp"

namespace opskit::leads {

static std::vector<size_t> make_offsets(const std::vector<int>& codes_per_input, size_t& total) {
  std::vector<size_t> off(codes_per_input.size());
  total = 0;
  for (size_t i = 0; i < off.size(); ++i) {
    off[i] = total;
    total += size_t(codes_per_input[i]);
  }
  return off;
}

LinearModel LinearModel::fit(const std::vector<uint8_t>& codes, size_t n, const std::vector<int>& codes_per_input,
                             const std::vector<int8_t>& y, const std::vector<size_t>& rows, const LinearOptions& o) {
  LinearModel m;
  size_t p = 0;
  m.offsets_ = make_offsets(codes_per_input, p);
  const size_t w = codes_per_input.size();
  // Parameter p is the bias (unpenalised); 0..p-1 the code weights.
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(p + 1);
  double pos = 0;
  for (size_t r : rows) pos += y[r] == 1;
  double rate = std::clamp(pos / std::max<double>(1, rows.size()), 1e-6, 1 - 1e-6);
  beta[p] = std::log(rate / (1 - rate));
  std::vector<size_t> active(w);
  // Penalised negative log-likelihood at b.
  auto objective = [&](const Eigen::VectorXd& b) {
    double loss = 0;
    for (size_t r : rows) {
      const uint8_t* x = codes.data() + r * w;
      double z = b[p];
      for (size_t i = 0; i < w; ++i) z += b[m.offsets_[i] + x[i]];
      // log(1 + e^z) - y z, computed without overflow.
      double soft = z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
      loss += soft - (y[r] == 1 ? z : 0.0);
    }
    for (size_t j = 0; j < p; ++j) loss += 0.5 * o.l2 * b[j] * b[j];
    return loss;
  };
  double loss = objective(beta);
  for (int it = 0; it < o.max_iterations; ++it) {
    Eigen::MatrixXd H = Eigen::MatrixXd::Zero(p + 1, p + 1);
    Eigen::VectorXd g = Eigen::VectorXd::Zero(p + 1);
    for (size_t r : rows) {
      const uint8_t* x = codes.data() + r * w;
      double z = beta[p];
      for (size_t i = 0; i < w; ++i) {
        active[i] = m.offsets_[i] + x[i];
        z += beta[active[i]];
      }
      double pr = 1 / (1 + std::exp(-z));
      double gi = pr - (y[r] == 1 ? 1.0 : 0.0), hi = std::max(pr * (1 - pr), 1e-12);
      g[p] += gi;
      H(p, p) += hi;
      for (size_t a = 0; a < w; ++a) {
        g[active[a]] += gi;
        H(p, active[a]) += hi;  // row p is below every code row: lower triangle
        for (size_t b = 0; b <= a; ++b) H(active[a], active[b]) += hi;
      }
    }
    for (size_t j = 0; j < p; ++j) {
      H(j, j) += o.l2;
      g[j] += o.l2 * beta[j];
    }
    // Only the lower triangle is filled; LDLT reads exactly that.
    Eigen::VectorXd step = H.selfadjointView<Eigen::Lower>().ldlt().solve(g);
    if (!step.allFinite()) throw InternalError("logistic regression: singular system");
    // Backtracking: Newton steps can overshoot far from the optimum.
    double t = 1, next = 0;
    Eigen::VectorXd candidate;
    for (int half = 0; half < 30; ++half, t /= 2) {
      candidate = beta - t * step;
      next = objective(candidate);
      if (next <= loss) break;
    }
    if (!(next <= loss)) break;
    beta = candidate;
    double gain = loss - next;
    loss = next;
    if (gain < o.tolerance * std::max(1.0, loss)) break;
  }
  m.bias_ = beta[p];
  m.weights_.assign(beta.data(), beta.data() + p);
  m.mean_.assign(w, 0.0);
  return m;
}

void LinearModel::set_reference(const std::vector<std::vector<double>>& shares) {
  mean_.assign(offsets_.size(), 0.0);
  for (size_t i = 0; i < offsets_.size() && i < shares.size(); ++i)
    for (size_t c = 0; c < shares[i].size(); ++c) mean_[i] += shares[i][c] * weights_[offsets_[i] + c];
}

double LinearModel::expected() const {
  double e = bias_;
  for (double m : mean_) e += m;
  return e;
}

nlohmann::json LinearModel::to_json() const {
  nlohmann::json w = nlohmann::json::array();
  for (size_t i = 0; i < offsets_.size(); ++i) {
    size_t end = i + 1 < offsets_.size() ? offsets_[i + 1] : weights_.size();
    w.push_back(std::vector<double>(weights_.begin() + offsets_[i], weights_.begin() + end));
  }
  return {{"bias", bias_}, {"weights", w}, {"mean", mean_}};
}

LinearModel LinearModel::from_json(const nlohmann::json& j, const std::vector<int>& codes_per_input) {
  LinearModel m;
  size_t p = 0;
  m.offsets_ = make_offsets(codes_per_input, p);
  m.bias_ = j.at("bias").get<double>();
  const auto& w = j.at("weights");
  if (!w.is_array() || w.size() != codes_per_input.size()) throw DataError("linear weights do not match the encoder");
  for (size_t i = 0; i < w.size(); ++i) {
    auto v = w[i].get<std::vector<double>>();
    if (int(v.size()) != codes_per_input[i]) throw DataError("linear weights of input " + std::to_string(i) + " do not match the encoder");
    m.weights_.insert(m.weights_.end(), v.begin(), v.end());
  }
  m.mean_ = j.at("mean").get<std::vector<double>>();
  if (m.mean_.size() != codes_per_input.size()) throw DataError("linear means do not match the encoder");
  for (double x : m.weights_)
    if (!std::isfinite(x)) throw DataError("linear weights must be finite");
  return m;
}

}  // namespace opskit::leads
