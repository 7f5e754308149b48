#pragma once
// The initiative planner: choose the set of initiatives that maximises an
// objective (the steady-state change of a target metric, or a weighted sum
// of metric changes) under a budget, honouring prerequisites (an initiative
// needs all of its prerequisites chosen) and mutually exclusive groups (at
// most one per group). Solved exactly as a 0-1 MILP with GLPK's
// branch-and-cut (mip gap 0); the value of an initiative is its effect alone,
// which is exact when effects add up (shift interventions on a linear
// graph). The chosen set is then re-simulated as a whole and both figures
// are reported.
//
// Initiatives file (YAML or JSON):
//   initiatives:
//     - {name: ads, cost: 5000, set: ["marketing_spend=+20%"], duration: 14d,
//        prerequisites: [crm], group: channel, description: "..."}
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine.hpp"

namespace opskit::sim {

struct Initiative {
  std::string name;
  double cost = 0;
  std::vector<std::string> sets;  // --set expressions
  int duration_days = 0;          // effects start after this many days
  std::vector<std::string> prerequisites;
  std::string group;              // empty = none
  std::string description;
  SourceLocation where;
};

std::vector<Initiative> load_initiatives(std::string_view text, const std::string& file_name);
std::vector<Initiative> load_initiatives_file(const std::string& path);
// Unknown prerequisites, prerequisite cycles, negative costs, bad --set: DataError.
void check_initiatives(const std::vector<Initiative>& list, const Graph& g);

struct Objective {
  std::map<std::string, double> weights;  // metric -> weight; {target: 1} for one target
  std::string str() const;                // "revenue" or "revenue*1+cost*-1"
};
// "revenue" or "revenue=1,support_cost=-0.5".
Objective parse_objective(const std::string& text, const Graph& g);

// The 0-1 problem, separated from the simulation so it can be tested alone.
struct Knapsack {
  std::vector<double> value, cost;
  std::vector<std::vector<int>> prerequisites;  // by index
  std::vector<std::vector<int>> groups;         // each: at most one
  std::vector<int> required;                    // must be chosen
  double budget = 0;
};
struct KnapsackSolution {
  bool feasible = false, optimal = false;
  std::vector<int> chosen;  // ascending
  double value = 0, cost = 0;
  std::string status;       // solver status in words
};
KnapsackSolution solve_knapsack(const Knapsack& k);

struct FrontierPoint {
  double budget = 0, cost = 0, value = 0;
  std::vector<std::string> chosen;
};

struct PlanOptions {
  double budget = 0;
  Objective objective;
  Mode mode = Mode::shift;
  std::vector<std::string> required;
  int frontier_points = 8;
};

struct PlanResult {
  std::vector<std::string> chosen;
  double cost = 0;
  double value = 0;           // sum of the chosen initiatives' own values
  double simulated = 0;       // the chosen set simulated together
  std::string optimality;     // e.g. "optimal (GLPK branch-and-cut, gap 0)"
  std::vector<double> values;  // per initiative, input order
  std::vector<FrontierPoint> frontier;
};

PlanResult plan(const Engine& engine, const Graph& g, const std::vector<Initiative>& list, const PlanOptions& opt);

}  // namespace opskit::sim
