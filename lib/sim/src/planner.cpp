#include "sim/planner.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

#include <glpk.h>
#include <yaml-cpp/yaml.h>

#include "core/text.hpp"
#include "sim/loader.hpp"
#include "yaml_fields.hpp"

namespace opskit::sim {

namespace {

using yaml_fields::at;
using yaml_fields::scalar;

std::vector<std::string> list(const std::string& file, const YAML::Node& n, const std::string& field) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) throw DataError(at(file, n, field), "expected a list");
  for (const auto& x : n) out.push_back(scalar(file, x, field));
  return out;
}

}  // namespace

std::vector<Initiative> load_initiatives(std::string_view text_in, const std::string& file) {
  YAML::Node root = yaml_fields::parse(text_in, file);
  if (!root.IsMap() || !root["initiatives"] || !root["initiatives"].IsSequence())
    throw DataError(at(file, root, "initiatives"), "expected a map with a list 'initiatives'");
  std::vector<Initiative> out;
  std::set<std::string> names;
  static const std::set<std::string> allowed{"name", "cost", "set", "duration", "prerequisites", "group", "description"};
  for (const auto& n : root["initiatives"]) {
    if (!n.IsMap()) throw DataError(at(file, n, "initiatives"), "expected an initiative map");
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.IsScalar() ? it->first.Scalar() : "";
      if (!allowed.count(k)) throw DataError(at(file, it->first, k), "unknown field '" + k + "' in initiative");
    }
    Initiative in;
    in.where = at(file, n, "name");
    if (!n["name"]) throw DataError(at(file, n, "name"), "initiative without a name");
    in.name = std::string(text::trim(scalar(file, n["name"], "name")));
    if (in.name.empty() || !names.insert(in.name).second)
      throw DataError(at(file, n["name"], "name"), "empty or duplicate initiative name '" + in.name + "'");
    if (!n["cost"]) throw DataError(at(file, n, "cost"), "initiative '" + in.name + "' has no cost");
    std::string c = scalar(file, n["cost"], "cost");
    if (!text::parse_double(text::trim(c), in.cost) || !std::isfinite(in.cost) || in.cost < 0)
      throw DataError(at(file, n["cost"], "cost"), "cost must be a number >= 0, got '" + c + "'");
    in.sets = list(file, n["set"], "set");
    if (in.sets.empty()) throw DataError(at(file, n, "set"), "initiative '" + in.name + "' sets nothing");
    if (n["duration"]) {
      try {
        in.duration_days = parse_days(scalar(file, n["duration"], "duration"), "duration");
      } catch (const DataError& e) {
        throw DataError(at(file, n["duration"], "duration"), e.what());
      }
    }
    in.prerequisites = list(file, n["prerequisites"], "prerequisites");
    if (n["group"]) in.group = scalar(file, n["group"], "group");
    if (n["description"]) in.description = scalar(file, n["description"], "description");
    out.push_back(std::move(in));
  }
  return out;
}

std::vector<Initiative> load_initiatives_file(const std::string& path) {
  if (path == "-") {
    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return load_initiatives(s, "-");
  }
  return load_initiatives(text::read_file(path), path);
}

void check_initiatives(const std::vector<Initiative>& list, const Graph& g) {
  std::map<std::string, size_t> idx;
  for (size_t i = 0; i < list.size(); ++i) idx[list[i].name] = i;
  for (const auto& in : list) {
    if (in.cost < 0) throw DataError(in.where, "initiative '" + in.name + "' has a negative cost");
    for (const auto& s : in.sets) {
      try {
        parse_set(s, g);
      } catch (const DataError& e) {
        throw DataError(in.where, "initiative '" + in.name + "': " + e.what());
      }
    }
    for (const auto& p : in.prerequisites)
      if (!idx.count(p)) throw DataError(in.where, "initiative '" + in.name + "' needs unknown prerequisite '" + p + "'");
  }
  // Prerequisite cycles make every member unchoosable; refuse them by name.
  std::vector<int> state(list.size(), 0);
  for (size_t r = 0; r < list.size(); ++r) {
    if (state[r]) continue;
    std::vector<std::pair<size_t, size_t>> stack{{r, 0}};
    state[r] = 1;
    while (!stack.empty()) {
      auto& [v, pos] = stack.back();
      if (pos < list[v].prerequisites.size()) {
        size_t w = idx[list[v].prerequisites[pos++]];
        if (state[w] == 1)
          throw DataError(list[w].where, "prerequisite cycle through initiative '" + list[w].name + "'");
        if (state[w] == 0) {
          state[w] = 1;
          stack.emplace_back(w, 0);
        }
        continue;
      }
      state[v] = 2;
      stack.pop_back();
    }
  }
}

std::string Objective::str() const {
  if (weights.size() == 1 && weights.begin()->second == 1) return weights.begin()->first;
  std::ostringstream o;
  bool first = true;
  for (const auto& [k, w] : weights) {
    o << (first ? "" : ",") << k << "=" << w;
    first = false;
  }
  return o.str();
}

Objective parse_objective(const std::string& t, const Graph& g) {
  Objective o;
  for (const auto& part : text::split(t, ',')) {
    std::string p(text::trim(part));
    if (p.empty()) continue;
    auto eq = p.find('=');
    std::string name(text::trim(std::string_view(p).substr(0, eq)));
    double w = 1;
    if (eq != std::string::npos && !text::parse_double(text::trim(std::string_view(p).substr(eq + 1)), w))
      throw UsageError("objective '" + t + "': weight of '" + name + "' is not a number");
    g.require(name);
    o.weights[name] += w;
  }
  if (o.weights.empty()) throw UsageError("an objective (--target METRIC or --objective m=w,...) is needed");
  return o;
}

KnapsackSolution solve_knapsack(const Knapsack& k) {
  const int n = static_cast<int>(k.value.size());
  KnapsackSolution sol;
  if (k.budget < 0) throw UsageError("the budget must not be negative");
  glp_prob* lp = glp_create_prob();
  glp_set_obj_dir(lp, GLP_MAX);
  if (n > 0) glp_add_cols(lp, n);
  for (int j = 0; j < n; ++j) {
    glp_set_col_kind(lp, j + 1, GLP_BV);
    glp_set_obj_coef(lp, j + 1, k.value[j]);
  }
  for (int r : k.required) glp_set_col_bnds(lp, r + 1, GLP_FX, 1, 1);
  std::vector<int> ind{0};
  std::vector<double> val{0};
  auto add_row = [&](double upper) {
    int row = glp_add_rows(lp, 1);
    glp_set_row_bnds(lp, row, GLP_UP, 0, upper);
    glp_set_mat_row(lp, row, static_cast<int>(ind.size()) - 1, ind.data(), val.data());
    ind.assign(1, 0);
    val.assign(1, 0);
  };
  for (int j = 0; j < n; ++j) {
    ind.push_back(j + 1);
    val.push_back(k.cost[j]);
  }
  add_row(k.budget);
  for (int j = 0; j < n; ++j)
    for (int p : k.prerequisites[j]) {  // x_j <= x_p
      ind.push_back(j + 1);
      val.push_back(1);
      ind.push_back(p + 1);
      val.push_back(-1);
      add_row(0);
    }
  for (const auto& grp : k.groups) {
    if (grp.size() < 2) continue;
    for (int j : grp) {
      ind.push_back(j + 1);
      val.push_back(1);
    }
    add_row(1);
  }
  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.presolve = GLP_ON;
  parm.msg_lev = GLP_MSG_OFF;
  parm.mip_gap = 0;
  parm.tm_lim = 120000;
  int ret = n > 0 ? glp_intopt(lp, &parm) : 0;
  int status = n > 0 ? glp_mip_status(lp) : GLP_OPT;
  if (ret == GLP_ENOPFS || status == GLP_NOFEAS) {
    sol.status = "infeasible";
  } else if (status == GLP_OPT || status == GLP_FEAS) {
    sol.feasible = true;
    sol.optimal = status == GLP_OPT && ret == 0;
    sol.status = sol.optimal ? "optimal (GLPK branch-and-cut, mip gap 0)" : "feasible, optimality not proven (time limit)";
    for (int j = 0; j < n; ++j)
      if (glp_mip_col_val(lp, j + 1) > 0.5) {
        sol.chosen.push_back(j);
        sol.value += k.value[j];
        sol.cost += k.cost[j];
      }
  } else {
    sol.status = "no solution (GLPK status " + std::to_string(status) + ", code " + std::to_string(ret) + ")";
  }
  glp_delete_prob(lp);
  return sol;
}

namespace {

// Several initiatives acting on one metric combine: percents multiply,
// deltas add, a level replaces.
std::vector<Intervention> merge(std::vector<Intervention> all) {
  std::vector<Intervention> out;
  for (auto& iv : all) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Intervention& o) { return o.metric == iv.metric; });
    if (it == out.end()) {
      out.push_back(iv);
      continue;
    }
    if (it->kind == iv.kind && iv.kind == Intervention::Kind::percent) it->value = (1 + it->value) * (1 + iv.value) - 1;
    else if (it->kind == iv.kind && iv.kind == Intervention::Kind::delta) it->value += iv.value;
    else *it = iv;
    it->start_day = std::min(it->start_day, iv.start_day);
    it->text += " & " + iv.text;
  }
  return out;
}

double objective_value(const Engine& engine, const Graph& g, const Objective& obj, const std::vector<Intervention>& set,
                       Mode mode) {
  std::vector<double> dev;
  if (!engine.steady(set, mode, engine.base_coefficients(), dev))
    throw DataError("steady state not found for " + (set.empty() ? std::string("the baseline") : set.front().text));
  double v = 0;
  for (const auto& [name, w] : obj.weights) v += w * dev[g.require(name)];
  return v;
}

}  // namespace

PlanResult plan(const Engine& engine, const Graph& g, const std::vector<Initiative>& list, const PlanOptions& opt) {
  if (opt.budget < 0 || !std::isfinite(opt.budget)) throw UsageError("the budget must be a number >= 0");
  check_initiatives(list, g);
  std::map<std::string, int> idx;
  for (size_t i = 0; i < list.size(); ++i) idx[list[i].name] = static_cast<int>(i);
  Knapsack k;
  k.budget = opt.budget;
  std::vector<std::vector<Intervention>> sets(list.size());
  PlanResult res;
  std::map<std::string, std::vector<int>> groups;
  for (size_t i = 0; i < list.size(); ++i) {
    for (const auto& s : list[i].sets) {
      auto iv = parse_set(s, g);
      iv.start_day += list[i].duration_days;
      sets[i].push_back(iv);
    }
    double v = objective_value(engine, g, opt.objective, merge(sets[i]), opt.mode);
    res.values.push_back(v);
    k.value.push_back(v);
    k.cost.push_back(list[i].cost);
    std::vector<int> pre;
    for (const auto& p : list[i].prerequisites) pre.push_back(idx[p]);
    k.prerequisites.push_back(pre);
    if (!list[i].group.empty()) groups[list[i].group].push_back(static_cast<int>(i));
  }
  for (auto& [name, members] : groups) k.groups.push_back(members);
  for (const auto& r : opt.required) {
    auto it = idx.find(r);
    if (it == idx.end()) throw DataError("--require: unknown initiative '" + r + "'");
    k.required.push_back(it->second);
  }
  KnapsackSolution sol = solve_knapsack(k);
  if (!sol.feasible)
    throw DataError("no plan is feasible: the required initiatives, their prerequisites and exclusive groups do not fit "
                    "a budget of " + std::to_string(opt.budget) + " (" + sol.status + ")");
  res.optimality = sol.status + "; values add up exactly for shift interventions on a linear graph";
  res.cost = sol.cost;
  res.value = sol.value;
  std::vector<Intervention> all;
  for (int j : sol.chosen) {
    res.chosen.push_back(list[j].name);
    all.insert(all.end(), sets[j].begin(), sets[j].end());
  }
  res.simulated = all.empty() ? 0.0 : objective_value(engine, g, opt.objective, merge(all), opt.mode);
  for (int p = 1; p <= opt.frontier_points; ++p) {
    Knapsack kk = k;
    kk.budget = opt.budget * p / opt.frontier_points;
    auto s = solve_knapsack(kk);
    if (!s.feasible) continue;
    FrontierPoint fp{kk.budget, s.cost, s.value, {}};
    for (int j : s.chosen) fp.chosen.push_back(list[j].name);
    res.frontier.push_back(fp);
  }
  return res;
}

}  // namespace opskit::sim
