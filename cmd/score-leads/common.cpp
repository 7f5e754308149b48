#include "commands.hpp"

#include "core/text.hpp"

namespace leads_cli {

using namespace opskit;

leads::Model resolve_model(app::Context& ctx, const std::string& version, const std::string& file) {
  if (!file.empty()) return leads::Model::load(file);
  leads::Repository repo(ctx.tenant_session());
  std::string v = version;
  if (v.empty()) {
    auto p = repo.promoted_version();
    if (!p) throw DataError("no promoted model for tenant '" + ctx.tenant_session().tenant() +
                            "': run `score-leads train --promote` or `score-leads models promote VERSION`");
    v = *p;
  }
  auto text = repo.model_json(v);
  if (!text) throw DataError("no model version '" + v + "' for this tenant (see `score-leads models list`)");
  return leads::Model::parse(*text, "lead_models:" + v);
}

int qualify_threshold(const app::Context& ctx) {
  std::string key = "leads.tenants." + (ctx.session ? ctx.session->tenant() : std::string()) + ".qualify";
  long long t = ctx.config.has(key) ? ctx.config.get_int(key, 50) : ctx.config.get_int("leads.qualify", 50);
  if (t < 0 || t > 100) throw DataError("leads.qualify must be between 0 and 100");
  return int(t);
}

void add_train_flags(CLI::App& c, TrainFlags& f) {
  c.add_option("--models", f.kinds, "Candidate model kinds, comma-separated: linear,gbdt");
  c.add_option("--folds", f.folds, "Cross-validation folds (0 = none)")->check(CLI::Range(0, 50));
  c.add_option("--holdout", f.holdout, "Newest share of rows for the chronological holdout (0 = none)")
      ->check(CLI::Range(0.0, 0.9));
  c.add_option("--select", f.select, "Metric that chooses the model")
      ->check(CLI::IsMember({"holdout_auc", "cv_auc", "cv_log_loss", "holdout_log_loss", "cv_average_precision",
                             "holdout_average_precision"}));
  c.add_option("--calibration", f.calibration, "platt or isotonic")->check(CLI::IsMember({"platt", "isotonic"}));
  c.add_option("--trees", f.trees, "Boosting rounds for gbdt (default 80)")->check(CLI::Range(1, 5000));
  c.add_option("--l2", f.l2, "L2 penalty of the linear model (default 1)")->check(CLI::Range(1e-6, 1e6));
  c.add_option("--linear-bins", f.linear_bins, "Quantile bins per numeric input, linear model (default 10)")
      ->check(CLI::Range(2, 250));
  c.add_option("--tree-bins", f.tree_bins, "Quantile bins per numeric input, trees (default 64)")->check(CLI::Range(2, 250));
}

leads::TrainOptions train_options(const TrainFlags& f, const app::Context& ctx) {
  leads::TrainOptions o;
  o.kinds.clear();
  for (const auto& k : text::split(f.kinds, ',')) o.kinds.push_back(leads::parse_model_kind(std::string(text::trim(k))));
  if (o.kinds.empty()) throw UsageError("--models needs at least one kind");
  o.folds = f.folds;
  o.holdout = f.holdout;
  o.select = f.select;
  o.calibration = f.calibration;
  o.seed = ctx.random.seed();
  if (f.trees) o.gbdt.trees = f.trees;
  o.linear.l2 = f.l2;
  o.linear_bins = f.linear_bins;
  o.tree_bins = f.tree_bins;
  if (o.folds <= 1 && o.holdout <= 0 && o.kinds.size() > 1)
    throw UsageError("choosing between models needs --folds >= 2 or --holdout > 0");
  return o;
}

}  // namespace leads_cli
