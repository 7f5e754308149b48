// screen name | batch | rescreen
#include <cmath>
#include <memory>

#include "commands.hpp"
#include "screen/service.hpp"

namespace screen_cli {

using namespace opskit;

namespace {

struct NameOptions {
  std::string name, dob, country, type, identifier, fail_on = "none";
  size_t limit = 10;
  double min_score = 50;
};

struct BatchCliOptions {
  std::string file, on_error = "skip", fail_on = "none", input_format;
};

double r1(double v) { return std::round(v * 10) / 10; }

std::string reasons(const screen::Match& m) {
  std::string s;
  for (const auto& a : m.alignment) {
    if (a.query.empty() || a.listed.empty()) continue;
    if (!s.empty()) s += "; ";
    s += a.query + "=" + a.listed + " (" + a.reason + ")";
  }
  for (const auto& f : m.factors) {
    if (f.name == "listed coverage" || f.name == "query coverage") continue;
    if (!s.empty()) s += "; ";
    s += f.name + " " + (f.contribution >= 0 ? "+" : "") + std::to_string(static_cast<int>(std::lround(f.contribution)));
  }
  return s;
}

std::unique_ptr<screen::Screener> open_screener(app::Context& ctx, screen::Repository& repo) {
  auto s = std::make_unique<screen::Screener>(repo, thresholds(ctx), ctx.config.hash("screen."), ctx.clock.now_iso());
  if (s->empty()) throw DataError("no active sanctions lists for tenant '" + ctx.tenant_session().tenant() +
                                  "'; load them with `screen lists update`");
  return s;
}

int run_name(const NameOptions& o, app::Context& ctx) {
  check_fail_on(o.fail_on);
  if (o.name.empty() && o.identifier.empty()) throw UsageError("give a NAME (or --id)");
  screen::Repository repo(ctx.tenant_session());
  auto screener = open_screener(ctx, repo);
  screen::Query q{o.name, o.dob, o.country, o.type, o.identifier};
  screen::MatchOptions mo;
  mo.limit = o.limit;
  mo.min_score = o.min_score;
  auto matches = screener->matcher().match(q, mo);
  const auto t = screener->thresholds();
  screen::Status worst = screen::Status::clear;
  RowWriter out(ctx.out, ctx.format, {"rank", "score", "status", "list", "uid", "entity", "matched_name", "strength", "why"});
  int rank = 0;
  for (const auto& m : matches) {
    auto st = screen::status_for(m.score, t);
    if (st > worst) worst = st;
    nlohmann::json row = {{"rank", ++rank}, {"score", r1(m.score)}, {"status", screen::status_name(st)},
                          {"list", m.list}, {"uid", m.uid}, {"entity", m.entity_name},
                          {"matched_name", m.matched_name}, {"strength", m.strength}, {"why", reasons(m)}};
    if (ctx.format == Format::json) {
      row["explanation"] = nlohmann::json::parse(screener->explanation_json(m));
      row.erase("why");
    }
    out.row(row);
  }
  out.finish();
  ctx.counts["matches"] = static_cast<int64_t>(matches.size());
  if (matches.empty() && !ctx.quiet && ctx.format == Format::text) ctx.log.info("no match at or above " + std::to_string(static_cast<int>(o.min_score)));
  if (worst != screen::Status::clear) ctx.findings[screen::status_name(worst)] += 1;
  return fail_on_code(o.fail_on, worst);
}

int run_batch(const BatchCliOptions& o, app::Context& ctx) {
  check_fail_on(o.fail_on);
  if (o.on_error != "skip" && o.on_error != "stop") throw UsageError("--on-error wants skip or stop");
  auto& session = ctx.tenant_session();
  screen::Repository repo(session);
  auto screener = open_screener(ctx, repo);
  screen::BatchOptions bo;
  bo.path = o.file;
  bo.format = o.input_format;
  bo.stop_on_error = o.on_error == "stop";
  bo.shard = ctx.shard;
  bo.dry_run = ctx.dry_run;
  bo.actor = "screen batch";
  bo.now = ctx.clock.now_iso();
  RowWriter out(ctx.out, ctx.format, {"id", "name", "status", "score", "list", "uid", "matched_name"});
  screen::Status worst = screen::Status::clear;
  auto counts = screen::screen_batch(
      *screener, repo, session, bo,
      [&](const screen::Subject& s, const screen::Decision& d) {
        if (d.status > worst) worst = d.status;
        const auto& m = d.matches.front();
        nlohmann::json row = {{"id", s.id}, {"name", s.counterparty}, {"status", s.status}, {"score", s.score},
                              {"list", m.list}, {"uid", m.uid}, {"matched_name", m.matched_name}};
        if (ctx.format == Format::json) row["explanation"] = nlohmann::json::parse(screener->explanation_json(m));
        out.row(row);
      },
      [&](const DataError& e) { ctx.log.warn(std::string("skipped bad row: ") + e.what()); });
  out.finish();
  ctx.counts = {{"rows", counts.rows}, {"screened", counts.screened}, {"clear", counts.clear},
                {"flagged", counts.flagged}, {"blocked", counts.blocked}, {"bad_rows", counts.bad_rows},
                {"other_shards", counts.other_shards}, {"allowed", counts.allowed}, {"changed", counts.changed}};
  ctx.findings["FLAGGED"] = counts.flagged;
  ctx.findings["BLOCKED"] = counts.blocked;
  ctx.log.info("batch screened", {{"rows", std::to_string(counts.rows)}, {"flagged", std::to_string(counts.flagged)},
                                  {"blocked", std::to_string(counts.blocked)}, {"bad_rows", std::to_string(counts.bad_rows)}});
  return fail_on_code(o.fail_on, worst);
}

int run_rescreen(const std::string& fail_on, app::Context& ctx) {
  check_fail_on(fail_on);
  auto& session = ctx.tenant_session();
  screen::Repository repo(session);
  auto screener = open_screener(ctx, repo);
  RowWriter out(ctx.out, ctx.format, {"id", "name", "old_status", "new_status", "old_score", "new_score"});
  auto counts = screen::rescreen(*screener, repo, session, ctx.run_id, ctx.clock.now_iso(), ctx.dry_run,
                                 [&](const screen::Subject& b, const screen::Subject& a) {
                                   out.row({{"id", a.id}, {"name", a.counterparty}, {"old_status", b.status},
                                            {"new_status", a.status}, {"old_score", b.score}, {"new_score", a.score}});
                                 });
  out.finish();
  ctx.counts = {{"screened", counts.screened}, {"changed", counts.changed}, {"flagged", counts.flagged},
                {"blocked", counts.blocked}, {"clear", counts.clear}};
  ctx.findings["FLAGGED"] = counts.flagged;
  ctx.findings["BLOCKED"] = counts.blocked;
  screen::Status worst = counts.blocked ? screen::Status::blocked : counts.flagged ? screen::Status::flagged : screen::Status::clear;
  return fail_on_code(fail_on, worst);
}

}  // namespace

void register_screening(app::Tool& tool) {
  auto name = std::make_shared<NameOptions>();
  tool.add({.path = {"name"}, .help = "Screen one name; prints ranked matches with their explanation",
            .needs = app::Needs::tenant, .ledger = false},
           [name](CLI::App& c) {
             c.add_option("NAME", name->name, "The name to screen (any script)");
             c.add_option("--dob", name->dob, "Date or year of birth (raises or lowers the score)");
             c.add_option("--country", name->country, "Country or nationality");
             c.add_option("--type", name->type, "individual, entity, vessel or aircraft")
                 ->check(CLI::IsMember({"individual", "entity", "vessel", "aircraft"}));
             c.add_option("--id", name->identifier, "Passport, national id, IMO or tail number (an exact match is decisive)");
             c.add_option("--limit", name->limit, "At most this many matches")->check(CLI::Range(1, 1000));
             c.add_option("--min-score", name->min_score, "Hide matches below this score")->check(CLI::Range(0.0, 100.0));
             c.add_option("--fail-on", name->fail_on, "Exit 1 when the best match is flagged or blocked (flagged|blocked|none)");
           },
           [name](app::Context& ctx) { return run_name(*name, ctx); });
  auto batch = std::make_shared<BatchCliOptions>();
  tool.add({.path = {"batch"},
            .help = "Screen a CSV or JSON-lines file of transactions, customers or counterparties and store the results",
            .needs = app::Needs::tenant,
            .writes = true},
           [batch](CLI::App& c) {
             c.add_option("FILE", batch->file, "CSV or JSON lines with id and counterparty (or name); - for stdin")->required();
             c.add_option("--on-error", batch->on_error, "Bad rows: skip (report and go on) or stop (nothing written)");
             c.add_option("--fail-on", batch->fail_on, "Exit 1 when any row is flagged or blocked (flagged|blocked|none)");
             c.add_option("--input-format", batch->input_format, "csv or jsonl (default: by extension or first byte)");
           },
           [batch](app::Context& ctx) { return run_batch(*batch, ctx); });
  auto fail_on = std::make_shared<std::string>("none");
  tool.add({.path = {"rescreen"},
            .help = "Screen every stored subject against the active lists and record what changed",
            .needs = app::Needs::tenant,
            .writes = true},
           [fail_on](CLI::App& c) {
             c.add_option("--fail-on", *fail_on, "Exit 1 when any subject is flagged or blocked (flagged|blocked|none)");
           },
           [fail_on](app::Context& ctx) { return run_rescreen(*fail_on, ctx); });
}

}  // namespace screen_cli
