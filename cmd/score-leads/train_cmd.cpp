// score-leads train | evaluate
#include <chrono>
#include <cmath>
#include <memory>

#include "commands.hpp"
#include "core/hash.hpp"
#include "core/text.hpp"
#include "leads/dataset.hpp"
#include "leads/metrics.hpp"

namespace leads_cli {

using namespace opskit;
using nlohmann::json;

namespace {

struct TrainCmd {
  std::string file, spec, input_format, out;
  bool promote = false;
  TrainFlags flags;
};

struct EvalCmd {
  std::string file, spec, input_format, model_file, folds_file;
  TrainFlags flags;
  int bins = 10;
};

double r4(double v) { return std::round(v * 1e4) / 1e4; }

leads::Dataset load_data(const leads::FeatureSpec& spec, const std::string& file, const std::string& format,
                         app::Context& ctx) {
  std::unique_ptr<leads::RecordSource> src;
  if (!file.empty()) {
    src = leads::open_source(file, spec, format);
  } else {
    leads::Repository repo(ctx.tenant_session());
    src = leads::json_source(repo.labelled_fields(), "leads");
  }
  return leads::read_dataset(*src, spec, ctx.clock.now_unix());
}

json metrics_row(const std::string& kind, const char* on, const leads::Metrics& m) {
  return {{"model", kind},       {"on", on},           {"rows", m.rows},
          {"positives", m.positives}, {"auc", r4(m.auc)}, {"average_precision", r4(m.average_precision)},
          {"log_loss", r4(m.log_loss)}, {"brier", r4(m.brier)}};
}

const std::vector<std::string> kMetricColumns{"model", "on", "rows", "positives", "auc", "average_precision", "log_loss", "brier"};

void print_tables(app::Context& ctx, const std::vector<double>& prob, const std::vector<int8_t>& y, int bins) {
  if (ctx.format == Format::text) ctx.out << "\ncalibration (equal-count bins by predicted probability)\n";
  {
    RowWriter w(ctx.out, ctx.format, {"table", "bin", "rows", "mean_predicted", "observed"});
    int b = 0;
    for (const auto& c : leads::calibration_table(prob, y, bins))
      w.row({{"table", "calibration"}, {"bin", ++b}, {"rows", c.rows}, {"mean_predicted", r4(c.mean_predicted)},
             {"observed", r4(c.observed)}});
  }
  if (ctx.format == Format::text) ctx.out << "\nlift and gains (groups by score, highest first)\n";
  RowWriter w(ctx.out, ctx.format, {"table", "group", "rows", "positives", "rate", "lift", "cumulative_gain"});
  for (const auto& l : leads::lift_table(prob, y, bins))
    w.row({{"table", "lift"}, {"group", l.decile}, {"rows", l.rows}, {"positives", l.positives}, {"rate", r4(l.rate)},
           {"lift", r4(l.lift)}, {"cumulative_gain", r4(l.cumulative_gain)}});
}

int run_train(const TrainCmd& o, app::Context& ctx) {
  auto spec = leads::load_spec(o.spec);
  auto opts = train_options(o.flags, ctx);
  auto data = load_data(spec, o.file, o.input_format, ctx);
  ctx.counts["rows"] = int64_t(data.size());
  auto t0 = std::chrono::steady_clock::now();
  auto result = leads::train(spec, data, opts, leads::dataset_hash(data), ctx.clock.now_iso());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto& model = result.model;
  ctx.log.info("trained", {{"version", model.version},
                           {"kind", leads::model_kind_name(model.kind)},
                           {"rows", std::to_string(data.size())},
                           {"seconds", std::to_string(seconds)},
                           {"final_fit_seconds", std::to_string(result.candidates[result.chosen].fit_seconds)}});
  {
    auto cols = kMetricColumns;
    cols.push_back("chosen");
    RowWriter w(ctx.out, ctx.format, cols);
    for (size_t i = 0; i < result.candidates.size(); ++i) {
      const auto& c = result.candidates[i];
      std::string kind = leads::model_kind_name(c.kind);
      std::string chosen = i == result.chosen ? model.version : "";
      if (c.has_cv) {
        auto r = metrics_row(kind, "cv", c.cv);
        r["chosen"] = chosen;
        w.row(r);
      }
      if (c.has_holdout) {
        auto r = metrics_row(kind, "holdout", c.holdout);
        r["chosen"] = chosen;
        w.row(r);
      }
    }
  }
  if (!o.out.empty()) model.save(o.out);
  if (ctx.dry_run) return 0;
  auto& session = ctx.tenant_session();
  leads::Repository repo(session);
  session.transaction([&] {
    leads::ModelRow row;
    row.version = model.version;
    row.kind = leads::model_kind_name(model.kind);
    row.spec_name = spec.name;
    row.spec_hash = spec.hash();
    row.data_hash = model.training.value("data_hash", "");
    row.rows = int64_t(data.size());
    row.metrics = model.metrics.dump();
    row.created_at = ctx.clock.now_iso();
    repo.insert_model(row, model.to_json().dump());
    session.audit("score-leads", "model.train", "lead_model", model.version,
                  json{{"kind", row.kind}, {"rows", row.rows}, {"data_hash", row.data_hash}, {"select", result.select}}.dump());
    if (o.promote) {
      repo.promote(model.version, ctx.clock.now_iso());
      session.audit("score-leads", "model.promote", "lead_model", model.version, "{}");
    }
  });
  return 0;
}

int run_evaluate(const EvalCmd& o, app::Context& ctx) {
  if (!o.model_file.empty()) {
    auto model = leads::Model::load(o.model_file);
    if (!o.spec.empty()) model.require_spec(leads::load_spec(o.spec), o.spec);
    auto src = leads::open_source(o.file, model.spec, o.input_format);
    auto data = leads::read_dataset(*src, model.spec, ctx.clock.now_unix());
    std::vector<double> prob;
    std::vector<uint8_t> x(model.encoder.width());
    for (size_t r = 0; r < data.size(); ++r) {
      model.encoder.encode(data, r, x.data());
      prob.push_back(model.probability(x.data()));
    }
    auto m = leads::compute_metrics(prob, data.target);
    {
      RowWriter w(ctx.out, ctx.format, kMetricColumns);
      w.row(metrics_row(model.version, "file", m));
    }
    print_tables(ctx, prob, data.target, o.bins);
    return 0;
  }
  if (o.spec.empty()) throw UsageError("evaluate needs --spec (cross-validate and hold out) or --model-file");
  auto spec = leads::load_spec(o.spec);
  auto opts = train_options(o.flags, ctx);
  opts.fit_final = false;
  auto src = leads::open_source(o.file, spec, o.input_format);
  auto data = leads::read_dataset(*src, spec, ctx.clock.now_unix());
  if (!o.folds_file.empty() && opts.folds > 1) {
    // The fold of every row, so other tools can be compared on the same folds.
    std::string text;
    for (int f : leads::stratified_folds(data.target, opts.folds, opts.seed)) text += std::to_string(f) + "\n";
    text::write_file_atomic(o.folds_file, text);
  }
  auto result = leads::train(spec, data, opts, "", "");
  {
    auto cols = kMetricColumns;
    cols.push_back("chosen");
    RowWriter w(ctx.out, ctx.format, cols);
    for (size_t i = 0; i < result.candidates.size(); ++i) {
      const auto& c = result.candidates[i];
      for (int on = 0; on < 2; ++on) {
        if (on == 0 && !c.has_cv) continue;
        if (on == 1 && !c.has_holdout) continue;
        auto r = metrics_row(leads::model_kind_name(c.kind), on ? "holdout" : "cv", on ? c.holdout : c.cv);
        r["chosen"] = i == result.chosen ? "yes (" + result.select + ")" : "";
        w.row(r);
      }
    }
  }
  const auto& best = result.candidates[result.chosen];
  if (best.has_holdout) print_tables(ctx, best.holdout_probability, best.holdout_target, o.bins);
  else print_tables(ctx, best.cv_probability, data.target, o.bins);
  return 0;
}

}  // namespace

void register_training(app::Tool& tool) {
  auto t = std::make_shared<TrainCmd>();
  tool.add({.path = {"train"},
            .help = "Train on leads with a known outcome (FILE, or the tenant's leads table); cross-validate, hold out "
                    "the newest leads, choose by a metric, calibrate, store the model",
            .needs = app::Needs::tenant,
            .writes = true},
           [t](CLI::App& c) {
             c.add_option("FILE", t->file, "Leads CSV or JSON lines ('-' = stdin); default: the leads table");
             c.add_option("--spec", t->spec, "Feature spec (YAML)")->required();
             c.add_option("--input-format", t->input_format, "csv or jsonl (default: by extension)")
                 ->check(CLI::IsMember({"csv", "jsonl"}));
             c.add_option("--out", t->out, "Also write the model JSON to this file");
             c.add_flag("--promote", t->promote, "Promote the new model (scoring uses it)");
             add_train_flags(c, t->flags);
           },
           [t](app::Context& ctx) { return run_train(*t, ctx); });
  auto e = std::make_shared<EvalCmd>();
  tool.add({.path = {"evaluate"},
            .help = "AUC, average precision, log-loss, Brier, calibration and lift tables, by cross-validation and "
                    "chronological holdout, or for a model file on a labelled file",
            .needs = app::Needs::nothing},
           [e](CLI::App& c) {
             c.add_option("FILE", e->file, "Labelled leads CSV or JSON lines ('-' = stdin)")->required();
             c.add_option("--spec", e->spec, "Feature spec (YAML)");
             c.add_option("--model-file", e->model_file, "Evaluate this model file on FILE instead of training");
             c.add_option("--input-format", e->input_format, "csv or jsonl (default: by extension)")
                 ->check(CLI::IsMember({"csv", "jsonl"}));
             c.add_option("--folds-file", e->folds_file, "Write each row's cross-validation fold to this file");
             c.add_option("--bins", e->bins, "Rows of the calibration and lift tables")->check(CLI::Range(2, 100));
             add_train_flags(c, e->flags);
           },
           [e](app::Context& ctx) { return run_evaluate(*e, ctx); });
}

}  // namespace leads_cli
