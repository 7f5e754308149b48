#pragma once
// score-leads' subcommands: each file registers its commands on the shared runner.
#include <string>

#include "app/app.hpp"
#include "leads/model.hpp"
#include "leads/repository.hpp"
#include "leads/train.hpp"

namespace leads_cli {

void register_training(opskit::app::Tool& tool);  // train | evaluate
void register_scoring(opskit::app::Tool& tool);   // import | score
void register_models(opskit::app::Tool& tool);    // models list|show|promote | segment

// --model VERSION (from lead_models) or --model-file PATH, else the promoted model.
opskit::leads::Model resolve_model(opskit::app::Context& ctx, const std::string& version, const std::string& file);
// The qualify threshold for the context's tenant: leads.tenants.<id>.qualify, else leads.qualify.
int qualify_threshold(const opskit::app::Context& ctx);
// Training options from the common flags.
struct TrainFlags {
  std::string kinds = "linear,gbdt";
  int folds = 5;
  double holdout = 0.2;
  std::string select = "holdout_auc";
  std::string calibration = "platt";
  int trees = 0;
  double l2 = 1.0;
  int linear_bins = 10;
  int tree_bins = 64;
};
void add_train_flags(CLI::App& c, TrainFlags& f);
opskit::leads::TrainOptions train_options(const TrainFlags& f, const opskit::app::Context& ctx);

}  // namespace leads_cli
