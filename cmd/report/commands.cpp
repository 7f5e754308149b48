#include "commands.hpp"

#include <filesystem>
#include <set>

#include "core/hash.hpp"
#include "core/output.hpp"
#include "core/text.hpp"
#include "report/kinds.hpp"
#include "report/render.hpp"
#include "report/repository.hpp"
#include "report/templates.hpp"

namespace report_cli {
namespace app = opskit::app;
namespace rp = opskit::report;

namespace {

struct Options {
  std::string subject, since, until, format, templates, out, section;
  int limit = 50;
};

int run_kind(const std::string& kind, const Options& o, app::Context& ctx) {
  rp::Request req;
  req.kind = kind;
  req.subject = o.subject;
  req.now = ctx.clock.now_iso();
  if (!o.since.empty()) req.since = rp::normalise_time(o.since, "--since");
  if (!o.until.empty()) req.until = rp::normalise_time(o.until, "--until");
  if (o.limit < 1) throw opskit::UsageError("--limit must be at least 1");
  req.limit = o.limit;
  // The kind's own --format wins; else the common one (flag, OPSKIT_FORMAT, config).
  const std::string format_text = o.format.empty() ? ctx.config.get("format", "text") : o.format;
  rp::RenderOptions ro;
  ro.format = rp::parse_output_format(format_text);
  ro.section = o.section;
  if (!o.section.empty() && ro.format != rp::OutputFormat::csv) throw opskit::UsageError("--section applies to --format csv only");
  rp::TemplateSet templates(o.templates);
  ro.templates = &templates;

  auto& session = ctx.tenant_session();
  const auto doc = rp::build_report(session, req);
  const std::string bytes = rp::render(doc, ro);
  if (!o.out.empty()) {
    opskit::text::write_file_atomic(o.out, bytes);
  } else {
    ctx.out << bytes;
  }
  int64_t rows = 0;
  for (const auto& s : doc["sections"])
    if (s.contains("table")) rows += static_cast<int64_t>(s["table"]["rows"].size());
  ctx.counts["sections"] = static_cast<int64_t>(doc["sections"].size());
  ctx.counts["rows"] = rows;
  if (!ctx.dry_run) {
    rp::Repository repo(session);
    rp::ReportRunRow r;
    r.run_id = ctx.run_id;
    r.kind = kind;
    r.subject = o.subject;
    r.format = rp::output_format_name(ro.format);
    r.since = doc["period"]["since"];
    r.until = doc["period"]["until"];
    r.generated_at = req.now;
    r.output = o.out.empty() ? "stdout" : o.out;
    r.bytes = static_cast<int64_t>(bytes.size());
    r.sha256 = opskit::sha256_hex(bytes);
    repo.record_report_run(r);
  }
  if (doc["status"] == "no_data") ctx.log.info("no data yet for report " + kind);
  return 0;
}

void add_kind_options(CLI::App& c, Options& o, const rp::KindInfo& k) {
  if (!k.subject.empty()) c.add_option(k.subject == "RUN" ? "run" : "customer", o.subject, k.subject == "RUN" ? "Simulation run id" : "Customer or counterparty id")->required();
  c.add_option("--since", o.since, "Start of the period (ISO-8601 date or time, UTC; default: from the start)");
  c.add_option("--until", o.until, "End of the period, inclusive (default: now, or --now)");
  c.add_option("--format", o.format, "text, json, csv, md, html or pdf (default: the common --format, else text)")
      ->check(CLI::IsMember({"text", "json", "csv", "md", "markdown", "html", "pdf"}));
  c.add_option("--templates", o.templates, "Directory of Mustache templates overriding the built-in ones");
  c.add_option("--out", o.out, "Write to this file (atomically) instead of stdout");
  c.add_option("--section", o.section, "With --format csv: only this section's table, as plain CSV");
  c.add_option("--limit", o.limit, "Rows in detail tables (default 50)");
}

}  // namespace

std::string unknown_kind_message(int argc, char** argv) {
  static const std::set<std::string> value_options = {"--db", "--tenant", "--config", "--format", "--log-level", "--log-format",
                                                      "--wait", "--metrics-file", "--shard", "--seed", "--now"};
  static const std::set<std::string> commands = {"kinds", "history", "templates", "completion", "help"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") return {};
    if (!a.empty() && a[0] == '-') {
      if (value_options.count(a)) ++i;
      continue;
    }
    if (rp::find_kind(a) || commands.count(a)) return {};
    return "unknown report kind '" + a + "'; known kinds: " + rp::kinds_list();
  }
  return {};
}

void register_commands(app::Tool& tool) {
  static Options opts;  // one subcommand runs per process; every kind shares these
  for (const auto& k : rp::kinds()) {
    const std::string name = k.name;
    tool.add({.path = {name}, .help = k.help, .needs = app::Needs::tenant, .writes = false},
             [&k](CLI::App& c) { add_kind_options(c, opts, k); },
             [name](app::Context& ctx) { return run_kind(name, opts, ctx); });
  }

  tool.add({.path = {"kinds"}, .help = "List the report kinds", .needs = app::Needs::nothing}, nullptr, [](app::Context& ctx) {
    opskit::RowWriter w(ctx.out, ctx.format, {"kind", "argument", "description"});
    for (const auto& k : rp::kinds()) w.row({{"kind", k.name}, {"argument", k.subject}, {"description", k.help}});
    w.finish();
    return 0;
  });

  static int history_limit = 20;
  tool.add({.path = {"history"}, .help = "Reports rendered for this tenant, most recent first", .needs = app::Needs::tenant, .ledger = false},
           [](CLI::App& c) { c.add_option("--limit", history_limit, "How many (default 20)"); },
           [](app::Context& ctx) {
             rp::Repository repo(ctx.tenant_session());
             const std::vector<std::string> cols = {"id", "run_id", "kind", "subject", "format", "generated_at", "output", "bytes", "sha256"};
             opskit::RowWriter w(ctx.out, ctx.format, cols);
             for (const auto& r : repo.report_runs_recent(history_limit)) {
               nlohmann::json j;
               for (size_t i = 0; i < cols.size(); ++i)
                 j[cols[i]] = (i == 0 || i == 1 || i == 7) ? nlohmann::json(r.integer(i)) : nlohmann::json(r.text(i));
               w.row(j);
             }
             w.finish();
             return 0;
           });

  static std::string tpl_dir, export_dir;
  tool.add({.path = {"templates", "list"}, .help = "List the templates in use (built-in and --templates DIR)", .needs = app::Needs::nothing},
           [](CLI::App& c) { c.add_option("--templates", tpl_dir, "Directory of override templates"); },
           [](app::Context& ctx) {
             rp::TemplateSet set(tpl_dir);
             opskit::RowWriter w(ctx.out, ctx.format, {"name", "source"});
             for (const auto& [name, src] : set.list()) w.row({{"name", name}, {"source", src}});
             w.finish();
             return 0;
           });
  tool.add({.path = {"templates", "check"}, .help = "Compile every template; a syntax error names file:line:column", .needs = app::Needs::nothing},
           [](CLI::App& c) { c.add_option("--templates", tpl_dir, "Directory of override templates"); },
           [](app::Context& ctx) {
             rp::TemplateSet set(tpl_dir);
             int64_t n = 0;
             for (const auto& [name, src] : set.list()) {
               rp::check_template(set.load(name));
               ++n;
             }
             ctx.counts["templates"] = n;
             if (!ctx.quiet) ctx.out << n << " templates ok\n";
             return 0;
           });
  tool.add({.path = {"templates", "export"}, .help = "Write the built-in templates into DIR as a starting point for your own look", .needs = app::Needs::nothing},
           [](CLI::App& c) { c.add_option("dir", export_dir, "Directory to write into (created if needed)")->required(); },
           [](app::Context& ctx) {
             std::filesystem::create_directories(export_dir);
             rp::TemplateSet set;
             int64_t n = 0;
             for (const auto& [name, src] : set.list()) {
               opskit::text::write_file_atomic((std::filesystem::path(export_dir) / name).string(), set.load(name).text);
               ++n;
             }
             ctx.counts["templates"] = n;
             if (!ctx.quiet) ctx.out << "wrote " << n << " templates to " << export_dir << "\n";
             return 0;
           });
}

}  // namespace report_cli
