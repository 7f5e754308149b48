// capture model / indicators / allow / alerts / devices / example.
#include <cmath>
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "commands.hpp"
#include "core/csv.hpp"
#include "core/text.hpp"
#include "net/analyzer.hpp"
#include "net/dga.hpp"
#include "net/repository.hpp"
#include "net/synth.hpp"

namespace capture_cli {
namespace app = opskit::app;
namespace net = opskit::net;
using opskit::DataError;
using opskit::UsageError;

namespace {

struct ModelOptions {
  std::string data, out, model, words;
  std::vector<std::string> hold_out_families;
  int epochs = 10;
  double target_fp = 0.0095;
};

const std::vector<std::string> kEvaluationColumns = {"set", "dga", "detected", "detection_rate", "benign", "false_positives", "false_positive_rate", "threshold"};

void evaluation_row(opskit::RowWriter& w, const std::string& what, const net::DgaEvaluation& e, double threshold) {
  w.row({{"set", what}, {"dga", e.dga}, {"detected", e.detected},
         {"detection_rate", std::round(e.detection_rate() * 10000) / 10000}, {"benign", e.benign},
         {"false_positives", e.false_positives},
         {"false_positive_rate", std::round(e.false_positive_rate() * 10000) / 10000},
         {"threshold", std::round(threshold * 10000) / 10000}});
}

void print_evaluation(app::Context& ctx, const std::string& what, const net::DgaEvaluation& e, double threshold) {
  opskit::RowWriter w(ctx.out, ctx.format, kEvaluationColumns);
  evaluation_row(w, what, e, threshold);
  w.finish();
}

int run_train(ModelOptions& o, app::Context& ctx) {
  std::vector<net::LabelledDomain> train, held;
  net::load_domain_lists(o.data, train, held);
  if (train.empty()) throw DataError(opskit::SourceLocation{o.data, 0, 0, ""}, "no labelled domain lists found");
  // Named families left out of training entirely, to see how the model does on generators it never saw.
  std::map<std::string, std::vector<net::LabelledDomain>> unseen;
  if (!o.hold_out_families.empty()) {
    std::vector<net::LabelledDomain> kept;
    for (auto& d : train) {
      bool out = d.dga && std::find(o.hold_out_families.begin(), o.hold_out_families.end(), d.family) != o.hold_out_families.end();
      (out ? unseen[d.family] : kept).push_back(std::move(d));
    }
    for (const auto& f : o.hold_out_families)
      if (!unseen.count(f)) throw UsageError("--hold-out-family: no training names of family '" + f + "'");
    train = std::move(kept);
  }
  net::DgaModel model;
  net::DgaModel::TrainOptions to;
  to.epochs = o.epochs;
  to.target_fp = o.target_fp;
  to.seed = ctx.random.seed();
  // The dictionary for the word features; its words go into the model file,
  // so scoring never needs the word list.
  std::string words = o.words;
  if (words.empty() && std::filesystem::exists("/usr/share/dict/words")) words = "/usr/share/dict/words";
  if (words.empty() || words == "none")
    ctx.log.warn("no word list (--words, /usr/share/dict/words from the wamerican package): training without the dictionary features");
  else
    to.dictionary = net::DgaModel::parse_word_list(opskit::text::read_file(words));
  net::DgaEvaluation validation;
  double t = model.train(train, to, &validation);
  ctx.counts["training_names"] = static_cast<int64_t>(train.size());
  {
    // Out-of-fold scores of the training names chose the threshold; the held-out half is judged only here.
    opskit::RowWriter w(ctx.out, ctx.format, kEvaluationColumns);
    evaluation_row(w, "out-of-fold", validation, t);
    if (!held.empty()) evaluation_row(w, "held-out", net::evaluate(model, held), t);
    for (const auto& [family, names] : unseen) evaluation_row(w, "unseen-family:" + family, net::evaluate(model, names), t);
    w.finish();
  }
  // A model missing families is an experiment: written only where --out says.
  if (!o.hold_out_families.empty() && o.out.empty()) return 0;
  std::string out = o.out.empty() ? net::DgaModel::default_path() : o.out;
  if (out.empty()) throw UsageError("--out: no default model path; name the file to write");
  if (!ctx.dry_run) {
    // A .json name gets the JSON export; anything else the binary file the tool loads fast.
    bool json = out.size() >= 5 && out.compare(out.size() - 5, 5, ".json") == 0;
    opskit::text::write_file_atomic(out, json ? model.to_json() : model.to_binary());
    ctx.log.info("model written", {{"path", out}, {"threshold", std::to_string(t)}});
  }
  return 0;
}

int run_eval(ModelOptions& o, app::Context& ctx) {
  std::string path = o.model.empty() ? net::DgaModel::default_path() : o.model;
  if (path.empty()) throw DataError("no DGA model to evaluate; pass --model");
  net::DgaModel model = net::DgaModel::load(path);
  std::vector<net::LabelledDomain> train, held;
  net::load_domain_lists(o.data, train, held);
  print_evaluation(ctx, "held-out", net::evaluate(model, held), model.threshold());
  return 0;
}

struct ScoreOptions {
  std::vector<std::string> names;
  std::string model;
};

int run_score(ScoreOptions& o, app::Context& ctx) {
  std::string path = o.model.empty() ? net::DgaModel::default_path() : o.model;
  if (path.empty()) throw DataError("no DGA model; pass --model");
  net::DgaModel model = net::DgaModel::load(path);
  opskit::RowWriter w(ctx.out, ctx.format, {"domain", "registrable", "score", "dga"});
  for (const auto& n : o.names) {
    double s = model.score(n);
    w.row({{"domain", net::normalize_domain(n)}, {"registrable", net::split_domain(n).registrable},
           {"score", std::round(s * 10000) / 10000}, {"dga", s >= model.threshold()}});
  }
  return 0;
}

struct ListOptions {
  std::string file, pattern, note, status = "open";
  int min_score = 0;
};

int run_indicators_import(ListOptions& o, app::Context& ctx) {
  net::Repository repo(ctx.tenant_session());
  auto reader = opskit::csv::Reader::open(o.file);
  reader->require_columns({"kind", "value"});
  struct Row {
    std::string kind, value, source;
  };
  std::vector<Row> rows;
  opskit::csv::Record r;
  net::Indicators check;
  while (reader->next(r)) {
    Row row{opskit::text::lower(opskit::text::trim(r["kind"])), std::string(opskit::text::trim(r["value"])),
            std::string(r.get("source").value_or(o.file))};
    if (!check.add(row.kind, row.value))
      throw DataError(r.where(row.kind == "domain" || row.kind == "ip" || row.kind == "cidr" ? "value" : "kind"),
                      "not an indicator: kind must be domain, ip or cidr with a valid value");
    rows.push_back(std::move(row));
  }
  if (!ctx.dry_run)
    ctx.tenant_session().transaction([&] {
      for (const auto& row : rows) repo.add_indicator(row.kind, row.value, row.source, ctx.clock.now_iso());
    });
  ctx.counts["indicators"] = static_cast<int64_t>(rows.size());
  ctx.log.info("indicators imported", {{"count", std::to_string(rows.size())}});
  return 0;
}

int run_indicators_list(ListOptions&, app::Context& ctx) {
  net::Repository repo(ctx.tenant_session());
  opskit::RowWriter w(ctx.out, ctx.format, {"kind", "value", "source", "added_at"});
  repo.for_each_indicator([&](const std::string& kind, const std::string& value, const std::string& source,
                              const std::string& added_at) {
    w.row({{"kind", kind}, {"value", value}, {"source", source}, {"added_at", added_at}});
  });
  return 0;
}

int run_allow_add(ListOptions& o, app::Context& ctx) {
  net::AllowList check;
  if (!check.add(o.pattern)) throw UsageError("not a name, wildcard (*.example.com), address or CIDR: '" + o.pattern + "'");
  net::Repository repo(ctx.tenant_session());
  int64_t changed = 0;
  if (!ctx.dry_run)
    ctx.tenant_session().transaction([&] {
      repo.allow(o.pattern, o.note, ctx.clock.now_iso());
      changed = repo.apply_allowlist(repo.allowlist());
      ctx.tenant_session().audit("capture", "allow.add", "net_allowlist", o.pattern,
                                 nlohmann::json{{"note", o.note}, {"alerts_allowed", changed}}.dump());
    });
  ctx.counts["alerts_allowed"] = changed;
  ctx.log.info("allow-list entry added", {{"pattern", o.pattern}, {"stored_alerts_now_allowed", std::to_string(changed)}});
  return 0;
}

int run_allow_remove(ListOptions& o, app::Context& ctx) {
  net::Repository repo(ctx.tenant_session());
  bool removed = false;
  if (!ctx.dry_run)
    ctx.tenant_session().transaction([&] {
      removed = repo.disallow(o.pattern);
      if (removed) ctx.tenant_session().audit("capture", "allow.remove", "net_allowlist", o.pattern, "{}");
    });
  if (!removed && !ctx.dry_run) throw UsageError("not on the allow-list: '" + o.pattern + "'");
  return 0;
}

int run_allow_list(ListOptions&, app::Context& ctx) {
  net::Repository repo(ctx.tenant_session());
  opskit::RowWriter w(ctx.out, ctx.format, {"pattern", "note"});
  for (const auto& [p, n] : repo.allow_patterns()) w.row({{"pattern", p}, {"note", n}});
  return 0;
}

int run_alerts(ListOptions& o, app::Context& ctx) {
  net::Repository repo(ctx.tenant_session());
  opskit::RowWriter w(ctx.out, ctx.format, {"id", "severity", "score", "threat_type", "indicator", "src", "dst", "status", "first_seen"});
  auto rows = repo.alerts(o.min_score, o.status == "all" ? "" : o.status);
  for (const auto& a : rows) {
    nlohmann::json evidence;
    try {
      evidence = nlohmann::json::parse(a.evidence);
    } catch (const std::exception&) {
      evidence = a.evidence;
    }
    w.row({{"id", a.id}, {"severity", a.severity}, {"score", a.score}, {"threat_type", a.threat_type},
           {"indicator", a.indicator}, {"src", a.src}, {"dst", a.dst}, {"status", a.status},
           {"first_seen", a.first_seen}, {"last_seen", a.last_seen}, {"capture_id", a.capture_id}, {"evidence", evidence}});
  }
  ctx.counts["alerts"] = static_cast<int64_t>(rows.size());
  return 0;
}

int run_devices(ListOptions&, app::Context& ctx) {
  net::Repository repo(ctx.tenant_session());
  opskit::RowWriter w(ctx.out, ctx.format, {"mac", "vendor", "ips", "hostnames", "first_seen", "last_seen"});
  for (const auto& d : repo.devices()) {
    std::string ips, names;
    for (const auto& i : d.ips) ips += (ips.empty() ? "" : " ") + i;
    for (const auto& n : d.hostnames) names += (names.empty() ? "" : " ") + n;
    w.row({{"mac", d.mac}, {"vendor", d.vendor}, {"ips", ips}, {"hostnames", names},
           {"first_seen", net::iso_time(d.first_ns).substr(0, 19) + "Z"}, {"last_seen", net::iso_time(d.last_ns).substr(0, 19) + "Z"}});
  }
  return 0;
}

struct ExampleOptions {
  std::string out;
  std::string start = "2026-01-05T09:00:00Z";
};

int run_example(ExampleOptions& o, app::Context& ctx) {
  int64_t start = 0;
  if (!opskit::parse_iso8601(o.start, start)) throw UsageError("--start: not an ISO-8601 time: " + o.start);
  auto frames = net::synth::example_scenario(ctx.random.seed(), start);
  net::synth::write_pcap(o.out, frames);
  ctx.counts["packets"] = static_cast<int64_t>(frames.size());
  ctx.log.info("example capture written", {{"path", o.out}, {"packets", std::to_string(frames.size())}});
  return 0;
}

}  // namespace

void register_admin_commands(app::Tool& tool) {
  auto mo = std::make_shared<ModelOptions>();
  tool.add({.path = {"model", "train"}, .help = "Train the DGA model from labelled domain lists and print its held-out evaluation", .needs = app::Needs::nothing, .writes = false},
           [mo](CLI::App& c) {
             c.add_option("--data", mo->data, "Folder of labelled lists (the layout of ../shared/data/domains)")->required();
             c.add_option("--out", mo->out, "Model file to write: binary, or the JSON export when the name ends in .json (default: the shipped model path)");
             c.add_option("--epochs", mo->epochs, "Training passes (default 10)")->check(CLI::Range(1, 100));
             c.add_option("--words", mo->words, "Word list for the dictionary features, one word per line (default: /usr/share/dict/words when present; 'none': without)");
             c.add_option("--target-fp", mo->target_fp, "False-positive rate the threshold is chosen for, on out-of-fold scores of the training names (default 0.0095)")->check(CLI::Range(0.0001, 0.5));
             c.add_option("--hold-out-family", mo->hold_out_families,
                          "Leave this named family (e.g. chinad, vidro, zeus) out of training and report its detection rate (repeatable); "
                          "the model is then written only with --out");
           },
           [mo](app::Context& ctx) { return run_train(*mo, ctx); });
  tool.add({.path = {"model", "eval"}, .help = "Evaluate a DGA model on the held-out half of the nDPI lists", .needs = app::Needs::nothing},
           [mo](CLI::App& c) {
             c.add_option("--data", mo->data, "Folder of labelled lists")->required();
             c.add_option("--model", mo->model, "Model file (default: the shipped model)");
           },
           [mo](app::Context& ctx) { return run_eval(*mo, ctx); });
  auto so = std::make_shared<ScoreOptions>();
  tool.add({.path = {"model", "score"}, .help = "Score domain names with the DGA model", .needs = app::Needs::nothing},
           [so](CLI::App& c) {
             c.add_option("names", so->names, "Domain names")->required();
             c.add_option("--model", so->model, "Model file (default: the shipped model)");
           },
           [so](app::Context& ctx) { return run_score(*so, ctx); });
  auto lo = std::make_shared<ListOptions>();
  tool.add({.path = {"indicators", "import"}, .help = "Import indicators from CSV (columns kind,value[,source]; kind domain|ip|cidr)", .writes = true},
           [lo](CLI::App& c) { c.add_option("file", lo->file, "CSV file (- for stdin)")->required(); },
           [lo](app::Context& ctx) { return run_indicators_import(*lo, ctx); });
  tool.add({.path = {"indicators", "list"}, .help = "List the tenant's indicators"}, [](CLI::App&) {},
           [lo](app::Context& ctx) { return run_indicators_list(*lo, ctx); });
  tool.add({.path = {"allow", "add"}, .help = "Allow-list a name, wildcard (*.cdn.example), address or CIDR; applies to stored alerts too", .writes = true},
           [lo](CLI::App& c) {
             c.add_option("pattern", lo->pattern, "Name, *.wildcard, address or CIDR")->required();
             c.add_option("--note", lo->note, "Why it is benign");
           },
           [lo](app::Context& ctx) { return run_allow_add(*lo, ctx); });
  tool.add({.path = {"allow", "remove"}, .help = "Remove an allow-list entry", .writes = true},
           [lo](CLI::App& c) { c.add_option("pattern", lo->pattern, "The entry as listed")->required(); },
           [lo](app::Context& ctx) { return run_allow_remove(*lo, ctx); });
  tool.add({.path = {"allow", "list"}, .help = "List the allow-list"}, [](CLI::App&) {},
           [lo](app::Context& ctx) { return run_allow_list(*lo, ctx); });
  tool.add({.path = {"alerts"}, .help = "List stored alerts (threat_intelligence)"},
           [lo](CLI::App& c) {
             c.add_option("--min-score", lo->min_score, "Lowest score (default 0)")->check(CLI::Range(0, 100));
             c.add_option("--status", lo->status, "open, allowed or all (default open)")->check(CLI::IsMember({"open", "allowed", "all"}));
           },
           [lo](app::Context& ctx) { return run_alerts(*lo, ctx); });
  tool.add({.path = {"devices"}, .help = "List the device inventory (network_devices)"}, [](CLI::App&) {},
           [lo](app::Context& ctx) { return run_devices(*lo, ctx); });
  auto eo = std::make_shared<ExampleOptions>();
  tool.add({.path = {"example"}, .help = "Write the project's synthetic example capture (office traffic with DGA, tunnel, beacon, scan)", .needs = app::Needs::nothing},
           [eo](CLI::App& c) {
             c.add_option("out", eo->out, "pcap file to write")->required();
             c.add_option("--start", eo->start, "Capture start time (ISO-8601, default 2026-01-05T09:00:00Z)");
           },
           [eo](app::Context& ctx) { return run_example(*eo, ctx); });
}

}  // namespace capture_cli
