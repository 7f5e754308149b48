#pragma once
// A waterfall for one target metric at the steady state whose bars add up to
// its total change.
//   by causes:    one bar per direct cause of the target (linear terms, and
//                 the log-space term shared out by each elasticity's share),
//                 plus the intervention on the target itself if any.
//   by first hop: one bar per edge leaving an intervened metric (the change
//                 that flows through that edge alone), plus an "interaction"
//                 bar for what only the edges together produce (zero on
//                 linear graphs).
#include <string>
#include <vector>

#include "sim/engine.hpp"

namespace opskit::sim {

struct WaterfallBar {
  std::string label;
  double value = 0;
};

struct Waterfall {
  std::string target, by;
  double baseline = 0, total = 0;  // total = sum of bars = steady level - baseline
  std::vector<WaterfallBar> bars;
};

Waterfall waterfall_by_causes(const Engine& engine, const std::vector<Intervention>& set, Mode mode,
                              const std::string& target);
Waterfall waterfall_by_first_hop(const Engine& engine, const std::vector<Intervention>& set, Mode mode,
                                 const std::string& target);

}  // namespace opskit::sim
