#include "sim/graph.hpp"

#include <algorithm>
#include <cstdio>

#include "core/hash.hpp"

namespace opskit::sim {

const char* kind_name(EdgeKind k) { return k == EdgeKind::linear ? "linear" : "elasticity"; }

void Graph::index() {
  by_name_.clear();
  by_name_.reserve(metrics.size());
  for (size_t i = 0; i < metrics.size(); ++i) by_name_.emplace(metrics[i].name, static_cast<int>(i));
}

int Graph::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

const Metric& Graph::metric(const std::string& name) const { return metrics[require(name)]; }

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> Graph::closest(const std::string& name, size_t limit) const {
  std::vector<std::pair<size_t, std::string>> scored;
  scored.reserve(metrics.size());
  for (const auto& m : metrics) scored.emplace_back(edit_distance(name, m.name), m.name);
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (const auto& [d, n] : scored) {
    if (out.size() >= limit) break;
    if (d <= std::max<size_t>(3, name.size() / 2)) out.push_back(n);
  }
  return out;
}

int Graph::require(const std::string& name, const SourceLocation& where) const {
  int i = find(name);
  if (i >= 0) return i;
  std::string msg = "unknown metric '" + name + "'";
  auto near = closest(name);
  if (!near.empty()) {
    msg += " (did you mean ";
    for (size_t k = 0; k < near.size(); ++k) msg += (k ? ", '" : "'") + near[k] + "'";
    msg += "?)";
  }
  if (where.file.empty()) throw DataError(msg);
  throw DataError(where, msg);
}

static std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string Graph::hash() const {
  Sha256 h;
  for (const auto& m : metrics) {
    h.update("m|" + m.name + "|" + m.unit + "|" + num(m.baseline) + "|" + (m.min ? num(*m.min) : "") + "|" +
             (m.max ? num(*m.max) : "") + "\n");
  }
  for (const auto& e : edges) {
    h.update("e|" + e.cause + "|" + e.effect + "|" + kind_name(e.kind) + "|" + num(e.coefficient) + "|" +
             std::to_string(e.lag_days) + "|" + num(e.confidence) + "|" + num(e.stddev) + "\n");
  }
  return h.hex();
}

}  // namespace opskit::sim
