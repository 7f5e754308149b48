// score-leads models list | show | promote, and segment
#include <cmath>
#include <memory>

#include "commands.hpp"
#include "leads/segment.hpp"

namespace leads_cli {

using namespace opskit;
using nlohmann::json;

namespace {

struct ShowCmd {
  std::string version;
};

struct SegmentCmd {
  std::string file;
  leads::OrderColumns columns;
  std::string separator = ",";
  int k = 4;
  bool customers = false;
};

double metric(const json& m, const char* on, const char* key) {
  if (!m.contains(on) || !m[on].contains(key)) return NAN;
  return std::round(m[on][key].get<double>() * 1e4) / 1e4;
}

int run_list(app::Context& ctx) {
  leads::Repository repo(ctx.tenant_session());
  RowWriter w(ctx.out, ctx.format,
              {"version", "kind", "spec", "rows", "cv_auc", "holdout_auc", "created_at", "promoted"});
  for (const auto& m : repo.models()) {
    json metrics = json::parse(m.metrics, nullptr, false);
    auto num = [&](const char* on) -> json {
      double v = metrics.is_discarded() ? NAN : metric(metrics, on, "auc");
      return std::isnan(v) ? json(nullptr) : json(v);
    };
    w.row({{"version", m.version}, {"kind", m.kind}, {"spec", m.spec_name}, {"rows", m.rows}, {"cv_auc", num("cv")},
           {"holdout_auc", num("holdout")}, {"created_at", m.created_at}, {"promoted", m.promoted ? "yes" : ""}});
  }
  return 0;
}

int run_show(const ShowCmd& o, app::Context& ctx) {
  leads::Repository repo(ctx.tenant_session());
  auto text = repo.model_json(o.version);
  if (!text) throw DataError("no model version '" + o.version + "' for this tenant (see `score-leads models list`)");
  auto model = leads::Model::parse(*text, "lead_models:" + o.version);
  auto row = repo.model_row(o.version);
  if (ctx.format == Format::json) {
    json j{{"version", model.version},     {"kind", leads::model_kind_name(model.kind)},
           {"spec", model.spec.name},      {"spec_hash", model.spec.hash()},
           {"promoted", row && row->promoted}, {"metrics", model.metrics},
           {"training", model.training},   {"calibration", model.calibration.to_json()}};
    ctx.out << j.dump() << "\n";
    return 0;
  }
  RowWriter w(ctx.out, ctx.format, {"key", "value"});
  w.row({{"key", "version"}, {"value", model.version}});
  w.row({{"key", "kind"}, {"value", leads::model_kind_name(model.kind)}});
  w.row({{"key", "spec"}, {"value", model.spec.name + " (" + model.spec.hash().substr(0, 12) + ")"}});
  w.row({{"key", "promoted"}, {"value", row && row->promoted ? "yes, " + row->promoted_at : "no"}});
  w.row({{"key", "calibration"}, {"value", model.calibration.method()}});
  for (const auto& [k, v] : model.training.items()) w.row({{"key", "training." + k}, {"value", cell_text(v)}});
  for (const char* on : {"cv", "holdout"})
    if (model.metrics.contains(on))
      for (const auto& [k, v] : model.metrics[on].items()) w.row({{"key", std::string(on) + "." + k}, {"value", cell_text(v)}});
  w.row({{"key", "inputs"}, {"value", std::to_string(model.encoder.width())}});
  return 0;
}

int run_promote(const ShowCmd& o, app::Context& ctx) {
  auto& session = ctx.tenant_session();
  leads::Repository repo(session);
  if (ctx.dry_run) {
    if (!repo.model_row(o.version)) throw DataError("no model version '" + o.version + "' for this tenant");
  } else {
    session.transaction([&] {
      repo.promote(o.version, ctx.clock.now_iso());
      session.audit("score-leads", "model.promote", "lead_model", o.version, "{}");
    });
  }
  RowWriter w(ctx.out, ctx.format, {"version", "promoted"});
  w.row({{"version", o.version}, {"promoted", ctx.dry_run ? "dry-run" : "yes"}});
  return 0;
}

int run_segment(const SegmentCmd& o, app::Context& ctx) {
  if (o.separator.size() != 1) throw UsageError("--separator must be one character");
  auto orders = leads::read_orders(o.file, o.columns, o.separator[0]);
  auto res = leads::segment_customers(orders, ctx.clock.now_unix(), o.k, ctx.random.seed());
  ctx.counts["orders"] = int64_t(orders.size());
  ctx.counts["customers"] = int64_t(res.customers.size());
  if (!ctx.dry_run) {
    std::vector<leads::SegmentRow> rows;
    for (const auto& c : res.customers)
      rows.push_back({c.customer, c.recency_days, c.monetary, c.frequency, c.r, c.f, c.m, c.cluster, c.segment});
    auto& session = ctx.tenant_session();
    leads::Repository repo(session);
    session.transaction([&] { repo.write_segments(rows, ctx.clock.now_iso()); });
  }
  auto r2 = [](double v) { return std::round(v * 100) / 100; };
  if (o.customers) {
    RowWriter w(ctx.out, ctx.format, {"customer", "recency_days", "frequency", "monetary", "rfm", "cluster", "segment"});
    for (const auto& c : res.customers)
      w.row({{"customer", c.customer}, {"recency_days", r2(c.recency_days)}, {"frequency", c.frequency},
             {"monetary", r2(c.monetary)}, {"rfm", std::to_string(c.r) + std::to_string(c.f) + std::to_string(c.m)},
             {"cluster", c.cluster}, {"segment", c.segment}});
    return 0;
  }
  RowWriter w(ctx.out, ctx.format, {"cluster", "segment", "customers", "recency_days", "frequency", "monetary"});
  for (const auto& c : res.clusters)
    w.row({{"cluster", c.cluster}, {"segment", c.segment}, {"customers", c.customers}, {"recency_days", r2(c.recency_days)},
           {"frequency", r2(c.frequency)}, {"monetary", r2(c.monetary)}});
  return 0;
}

}  // namespace

void register_models(app::Tool& tool) {
  tool.add({.path = {"models", "list"}, .help = "The tenant's models with their metrics", .needs = app::Needs::tenant,
            .ledger = false},
           [](CLI::App&) {}, [](app::Context& ctx) { return run_list(ctx); });
  auto s = std::make_shared<ShowCmd>();
  tool.add({.path = {"models", "show"}, .help = "One model: kind, spec, training provenance, metrics",
            .needs = app::Needs::tenant, .ledger = false},
           [s](CLI::App& c) { c.add_option("VERSION", s->version, "Model version")->required(); },
           [s](app::Context& ctx) { return run_show(*s, ctx); });
  auto p = std::make_shared<ShowCmd>();
  tool.add({.path = {"models", "promote"}, .help = "Make a model the one scoring uses (audited)",
            .needs = app::Needs::tenant, .writes = true},
           [p](CLI::App& c) { c.add_option("VERSION", p->version, "Model version")->required(); },
           [p](app::Context& ctx) { return run_promote(*p, ctx); });
  auto g = std::make_shared<SegmentCmd>();
  tool.add({.path = {"segment"},
            .help = "RFM segmentation of customers from an orders file, k-means clusters with names, written to "
                    "customer_segments",
            .needs = app::Needs::tenant,
            .writes = true},
           [g](CLI::App& c) {
             c.add_option("FILE", g->file, "Orders CSV ('-' = stdin)")->required();
             c.add_option("--customer-column", g->columns.customer, "Customer id column (default customer_id)");
             c.add_option("--date-column", g->columns.date, "Order date column, ISO-8601 (default order_date)");
             c.add_option("--amount-column", g->columns.amount, "Order amount column (default amount)");
             c.add_option("--separator", g->separator, "CSV separator (default ,)");
             c.add_option("-k,--clusters", g->k, "Number of clusters")->check(CLI::Range(1, 20));
             c.add_flag("--customers", g->customers, "Print one row per customer instead of the cluster summary");
           },
           [g](app::Context& ctx) { return run_segment(*g, ctx); });
}

}  // namespace leads_cli
