// score-leads import | score | speed
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <memory>

#include "commands.hpp"
#include "core/hash.hpp"
#include "core/runtime.hpp"
#include "leads/dataset.hpp"
#include "leads/score.hpp"

namespace leads_cli {

using namespace opskit;
using nlohmann::json;

namespace {

struct ImportCmd {
  std::string file, spec, input_format, source;
};

struct ScoreCmd {
  std::string file, input_format, model, model_file, source, output;
  int reasons = 3;
  bool all = false;
};

struct SpeedCmd {
  std::string file, spec;
  int repeat = 5;
};

leads::LeadRecord record_of(const leads::RecordSource& src, const leads::ParsedRow& row, const std::string& source) {
  leads::LeadRecord l;
  l.external_id = row.id;
  l.fields = src.fields();
  l.fields_hash = sha256_hex(l.fields.dump());
  if (row.target >= 0) l.outcome = row.target;
  if (row.time) l.occurred_at = format_iso8601(row.time);
  l.source = source;
  return l;
}

int run_import(const ImportCmd& o, app::Context& ctx) {
  auto spec = leads::load_spec(o.spec);
  auto src = leads::open_source(o.file, spec, o.input_format);
  auto cols = spec.columns();
  src->require_columns(cols);
  leads::RowParser parser(spec, ctx.clock.now_unix());
  leads::Repository repo(ctx.tenant_session());
  int64_t n = 0, labelled = 0, skipped = 0;
  auto at = ctx.clock.now_iso();
  auto body = [&] {
    auto writer = ctx.dry_run ? nullptr : repo.lead_writer(false);
    leads::ParsedRow row;
    Progress progress("import", 0, !ctx.quiet);
    while (src->next()) {
      ++n;
      parser.parse(*src, n, row);  // validates every field (errors name file:line:column)
      if (!ctx.shard.owns(row.id)) {
        ++skipped;
        continue;
      }
      labelled += row.target >= 0;
      if (writer) writer->add(record_of(*src, row, o.source.empty() ? o.file : o.source), at);
      progress.add();
    }
    if (writer) writer->flush();
    progress.done();
  };
  if (ctx.dry_run) body();
  else ctx.tenant_session().transaction(body);  // the whole file or nothing
  ctx.counts["read"] = n;
  ctx.counts["imported"] = n - skipped;
  ctx.counts["labelled"] = labelled;
  RowWriter w(ctx.out, ctx.format, {"file", "read", "imported", "labelled", "other_shards", "dry_run"});
  w.row({{"file", o.file}, {"read", n}, {"imported", n - skipped}, {"labelled", labelled}, {"other_shards", skipped},
         {"dry_run", ctx.dry_run}});
  return 0;
}

leads::DriftThresholds drift_thresholds(const app::Context& ctx) {
  leads::DriftThresholds t;
  t.moderate = ctx.config.get_double("leads.drift.moderate", 0.1);
  t.major = ctx.config.get_double("leads.drift.major", 0.25);
  if (!(t.moderate > 0) || !(t.major >= t.moderate)) throw DataError("leads.drift thresholds must satisfy 0 < moderate <= major");
  return t;
}

int run_score(const ScoreCmd& o, app::Context& ctx) {
  auto model = resolve_model(ctx, o.model, o.model_file);
  auto& session = ctx.tenant_session();
  leads::Repository repo(session);
  leads::Scorer scorer(model, ctx.clock.now_unix(), o.reasons);
  auto at = ctx.clock.now_iso();
  int threshold = qualify_threshold(ctx);
  std::ofstream output_file;
  if (!o.output.empty() && o.output != "-") {
    output_file.open(o.output, std::ios::binary | std::ios::trunc);
    if (!output_file) throw DataError(SourceLocation{o.output, 0, 0, ""}, "cannot write the output file");
  }
  std::ostream& out = output_file.is_open() ? static_cast<std::ostream&>(output_file) : ctx.out;
  RowWriter w(out, ctx.format, {"id", "score", "probability", "reasons"});
  int64_t read = 0, scored = 0, other_shards = 0, qualified = 0;
  auto emit = [&](const leads::ScoredLead& s) {
    w.row({{"id", s.id},
           {"score", s.score},
           {"probability", std::round(s.probability * 1e4) / 1e4},
           {"reasons", ctx.format == Format::json ? leads::reasons_json(s.reasons) : json(leads::reasons_text(s.reasons))}});
  };
  auto body = [&] {
    auto writer = ctx.dry_run ? nullptr : repo.lead_writer(true, ctx.run_id);
    auto handle = [&](const leads::RecordSource& src, const leads::LeadRecord* stored) {
      ++read;
      const auto& s = scorer.score(src, read);
      if (!ctx.shard.owns(s.id)) {
        ++other_shards;
        return;
      }
      ++scored;
      emit(s);
      if (!writer) return;
      leads::LeadRecord rec;
      if (stored) {
        rec = *stored;
      } else {
        rec.external_id = s.id;
        rec.fields = src.fields();
        rec.fields_hash = sha256_hex(rec.fields.dump());
        if (s.target >= 0) rec.outcome = s.target;
        if (s.time) rec.occurred_at = format_iso8601(s.time);
        rec.source = o.source.empty() ? o.file : o.source;
      }
      leads::LeadScore sc{rec.external_id, s.score, s.probability, model.version, leads::reasons_json(s.reasons).dump(),
                          rec.fields_hash};
      writer->add_scored(rec, sc, at);
    };
    if (!o.file.empty()) {
      auto src = leads::open_source(o.file, model.spec, o.input_format);
      src->require_columns(model.spec.columns());
      while (src->next()) handle(*src, nullptr);
    } else {
      // Leads never scored, scored by another model, or changed since.
      repo.for_each_unscored(o.all ? std::string("\x01 rescore") : model.version, 2000,
                             [&](const std::vector<leads::LeadRecord>& batch) {
                               std::vector<json> objs;
                               for (const auto& l : batch) objs.push_back(l.fields);
                               auto src = leads::json_source(std::move(objs), "leads");
                               size_t i = 0;
                               while (src->next()) handle(*src, &batch[i++]);
                               if (writer) writer->flush();
                             });
    }
    if (writer) {
      writer->flush();
      qualified = repo.qualify(threshold);
    }
  };
  if (ctx.dry_run) body();
  else session.transaction(body);  // a batch commits whole or not at all
  w.finish();
  // Drift against the training distribution.
  auto thresholds = drift_thresholds(ctx);
  auto report = scorer.drift().report(thresholds);
  const int64_t min_rows = ctx.config.get_int("leads.drift.min_rows", 200);
  std::vector<leads::DriftRow> rows;
  for (const auto& d : report) {
    rows.push_back({d.input, d.level, d.psi, int64_t(scorer.drift().rows())});
    // Small batches give noisy PSI: they are recorded, but only larger ones warn.
    if (d.level != "stable" && int64_t(scorer.drift().rows()) >= min_rows)
      ctx.log.warn("input distribution drifted since training",
                   {{"feature", d.input}, {"psi", std::to_string(d.psi)}, {"level", d.level}, {"model", model.version}});
  }
  if (!ctx.dry_run && scorer.drift().rows() > 0) repo.record_drift(at, model.version, rows);
  ctx.counts["read"] = read;
  ctx.counts["scored"] = scored;
  ctx.counts["qualified"] = qualified;
  ctx.counts["other_shards"] = other_shards;
  ctx.log.info("scored", {{"model", model.version}, {"scored", std::to_string(scored)},
                          {"qualified", std::to_string(qualified)}});
  return 0;
}

// Speed figures for the bench: training time, and in-memory scoring rates of
// both model kinds with and without reasons. Process CPU time, so a busy
// shared machine does not distort them (one thread throughout).
double cpu_seconds() { return double(std::clock()) / CLOCKS_PER_SEC; }

int run_speed(const SpeedCmd& o, app::Context& ctx) {
  auto spec = leads::load_spec(o.spec);
  auto src = leads::open_source(o.file, spec);
  auto data = leads::read_dataset(*src, spec, ctx.clock.now_unix());
  std::vector<size_t> all(data.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  RowWriter w(ctx.out, ctx.format, {"figure", "model", "value", "unit"});
  leads::TrainOptions opts;
  opts.seed = ctx.random.seed();
  for (auto kind : {leads::ModelKind::linear, leads::ModelKind::gbdt}) {
    double t0 = cpu_seconds();
    auto m = leads::fit_model(kind, spec, data, all, opts, true);
    double fit = cpu_seconds() - t0;
    std::string name = leads::model_kind_name(kind);
    w.row({{"figure", "fit_cpu_seconds"}, {"model", name}, {"value", std::round(fit * 1000) / 1000}, {"unit", "s"}});
    auto codes = m.encoder.encode_all(data);
    const size_t width = m.encoder.width(), n = data.size();
    double sink = 0;
    t0 = cpu_seconds();
    for (int rep = 0; rep < o.repeat; ++rep)
      for (size_t r = 0; r < n; ++r) sink += m.probability(codes.data() + r * width);
    double s = cpu_seconds() - t0;
    w.row({{"figure", "score_rows_per_cpu_second"}, {"model", name}, {"value", std::round(double(n) * o.repeat / s)},
           {"unit", "rows/s"}});
    std::vector<leads::Reason> reasons;
    if (kind == leads::ModelKind::gbdt) {
      // The TreeSHAP tables are built on the first explanation: timed apart.
      t0 = cpu_seconds();
      m.reasons(codes.data(), 3, reasons);
      w.row({{"figure", "treeshap_tables_cpu_seconds"}, {"model", name},
             {"value", std::round((cpu_seconds() - t0) * 1000) / 1000}, {"unit", "s"}});
    }
    const size_t nr = n * size_t(o.repeat);
    t0 = cpu_seconds();
    for (size_t i = 0; i < nr; ++i) {
      const uint8_t* x = codes.data() + (i % n) * width;
      sink += m.probability(x);
      m.reasons(x, 3, reasons);
      sink += reasons[0].contribution;
    }
    s = cpu_seconds() - t0;
    w.row({{"figure", "score_with_reasons_rows_per_cpu_second"}, {"model", name}, {"value", std::round(double(nr) / s)},
           {"unit", "rows/s"}});
    if (sink == 12345.678) ctx.out << "";
  }
  return 0;
}

}  // namespace

void register_scoring(app::Tool& tool) {
  auto i = std::make_shared<ImportCmd>();
  tool.add({.path = {"import"},
            .help = "Upsert leads from CSV or JSON lines into the tenant's leads table, by external id",
            .needs = app::Needs::tenant,
            .writes = true},
           [i](CLI::App& c) {
             c.add_option("FILE", i->file, "Leads CSV or JSON lines ('-' = stdin)")->required();
             c.add_option("--spec", i->spec, "Feature spec (YAML): id, target and feature columns")->required();
             c.add_option("--input-format", i->input_format, "csv or jsonl (default: by extension)")
                 ->check(CLI::IsMember({"csv", "jsonl"}));
             c.add_option("--source", i->source, "Source label stored with each lead (default: FILE)");
           },
           [i](app::Context& ctx) { return run_import(*i, ctx); });
  auto s = std::make_shared<ScoreCmd>();
  tool.add({.path = {"score"},
            .help = "Score leads 0-100 with the top reasons and write them back (FILE, or the leads table's new and "
                    "changed leads); warns and records input drift",
            .needs = app::Needs::tenant,
            .writes = true},
           [s](CLI::App& c) {
             c.add_option("FILE", s->file, "Leads CSV or JSON lines ('-' = stdin); default: the leads table");
             c.add_option("--model", s->model, "Model version (default: the promoted model)");
             c.add_option("--model-file", s->model_file, "Score with a model JSON file instead");
             c.add_option("--reasons", s->reasons, "Reasons per lead (0-10)")->check(CLI::Range(0, 10));
             c.add_option("--input-format", s->input_format, "csv or jsonl (default: by extension)")
                 ->check(CLI::IsMember({"csv", "jsonl"}));
             c.add_option("--source", s->source, "Source label for leads first seen in FILE");
             c.add_flag("--all", s->all, "Re-score every stored lead, not only new and changed ones");
             c.add_option("-o,--output", s->output, "Write the scored rows to this file instead of stdout");
           },
           [s](app::Context& ctx) { return run_score(*s, ctx); });
  auto p = std::make_shared<SpeedCmd>();
  tool.add({.path = {"speed"},
            .help = "Measure training and scoring speed on a labelled file (for benchmarks)",
            .needs = app::Needs::nothing},
           [p](CLI::App& c) {
             c.add_option("FILE", p->file, "Labelled leads CSV or JSON lines")->required();
             c.add_option("--spec", p->spec, "Feature spec (YAML)")->required();
             c.add_option("--repeat", p->repeat, "Scoring passes over the data")->check(CLI::Range(1, 1000));
           },
           [p](app::Context& ctx) { return run_speed(*p, ctx); });
}

}  // namespace leads_cli
