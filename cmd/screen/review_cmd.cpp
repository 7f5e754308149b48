// screen review list | decide, screen allow add | list | remove
#include <memory>

#include "commands.hpp"
#include "screen/service.hpp"

namespace screen_cli {

using namespace opskit;

namespace {

struct ReviewListOptions {
  std::string status = "open";
  int limit = 1000;
};

struct DecideOptions {
  int64_t id = 0;
  bool clear = false, block = false, allow = false;
  std::string note, by, expires;
};

struct AllowOptions {
  std::string name, list, uid, reason, by, expires;
};

int run_review_list(const ReviewListOptions& o, app::Context& ctx) {
  screen::Repository repo(ctx.tenant_session());
  std::string status = o.status == "all" ? "" : o.status;
  RowWriter out(ctx.out, ctx.format, {"id", "subject", "name", "status", "score", "list", "uid", "matched_name", "review"});
  for (const auto& m : repo.matches(status, o.limit)) {
    nlohmann::json row = {{"id", m.id}, {"subject", m.subject_id}, {"name", m.subject_name}, {"status", m.status},
                          {"score", m.score}, {"list", m.list}, {"uid", m.entity_uid}, {"matched_name", m.matched_name},
                          {"review", m.review_status}, {"reviewed_by", m.reviewed_by}, {"note", m.review_note}};
    if (ctx.format == Format::json) row["explanation"] = nlohmann::json::parse(m.explanation);
    out.row(row);
  }
  return 0;
}

int run_decide(const DecideOptions& o, app::Context& ctx) {
  if (o.clear == o.block) throw UsageError("give exactly one of --clear or --block");
  if (o.note.empty()) throw UsageError("--note is required: say why");
  if (o.allow && !o.clear) throw UsageError("--allow goes with --clear");
  auto& session = ctx.tenant_session();
  screen::Repository repo(session);
  auto m = repo.match_by_id(o.id);
  if (!m) throw DataError("no screening match " + std::to_string(o.id) + " (see `screen review list`)");
  const std::string decision = o.clear ? "cleared" : "blocked";
  const std::string who = actor(o.by);
  const std::string now = ctx.clock.now_iso();
  if (!ctx.dry_run) {
    session.transaction([&] {
      repo.decide(o.id, decision, o.note, who, now);
      nlohmann::json d = {{"decision", decision}, {"note", o.note}, {"subject", m->subject_id},
                          {"list", m->list}, {"uid", m->entity_uid}, {"score", m->score}};
      session.audit(who, "screen.review", "screening_match", std::to_string(o.id), d.dump());
      if (o.allow) {
        auto e = repo.active_entity(m->list, m->entity_uid);
        if (!e) throw DataError("entity " + m->list + "/" + m->entity_uid + " is not in the active list any more");
        screen::Screener keyer(std::vector<screen::Entity>{}, screen::Thresholds{});
        screen::AllowEntry a{keyer.name_key(m->subject_name), m->list, m->entity_uid, e->content_hash(), who, o.note,
                             o.expires, now};
        repo.allow(a);
        session.audit(who, "screen.allow", "allow_list", a.name_key + "|" + a.list + "|" + a.entity_uid, nlohmann::json{{"reason", o.note}, {"expires", o.expires}}.dump());
      }
    });
  }
  RowWriter out(ctx.out, ctx.format, {"id", "subject", "decision", "by", "at"});
  out.row({{"id", o.id}, {"subject", m->subject_id}, {"decision", decision}, {"by", who}, {"at", now}});
  return 0;
}

int run_allow_add(const AllowOptions& o, app::Context& ctx) {
  if (o.reason.empty()) throw UsageError("--reason is required");
  auto& session = ctx.tenant_session();
  screen::Repository repo(session);
  auto e = repo.active_entity(o.list, o.uid);
  if (!e) throw DataError("no entity " + o.uid + " in the active " + o.list + " list");
  screen::Screener keyer(std::vector<screen::Entity>{}, screen::Thresholds{});
  const std::string who = actor(o.by);
  screen::AllowEntry a{keyer.name_key(o.name), o.list, o.uid, e->content_hash(), who, o.reason, o.expires,
                       ctx.clock.now_iso()};
  if (a.name_key.empty()) throw UsageError("the name is empty after normalisation");
  if (!ctx.dry_run)
    session.transaction([&] {
      repo.allow(a);
      session.audit(who, "screen.allow", "allow_list", a.name_key + "|" + a.list + "|" + a.entity_uid,
                    nlohmann::json{{"reason", o.reason}, {"expires", o.expires}, {"content_hash", a.content_hash}}.dump());
    });
  RowWriter out(ctx.out, ctx.format, {"name_key", "list", "uid", "entity", "expires_at"});
  out.row({{"name_key", a.name_key}, {"list", a.list}, {"uid", a.entity_uid}, {"entity", e->primary_name},
           {"expires_at", a.expires_at}});
  return 0;
}

int run_allow_list(app::Context& ctx) {
  screen::Repository repo(ctx.tenant_session());
  RowWriter out(ctx.out, ctx.format, {"name_key", "list", "uid", "added_by", "reason", "expires_at", "created_at"});
  for (const auto& a : repo.allow_list())
    out.row({{"name_key", a.name_key}, {"list", a.list}, {"uid", a.entity_uid}, {"added_by", a.added_by},
             {"reason", a.reason}, {"expires_at", a.expires_at}, {"created_at", a.created_at},
             {"content_hash", a.content_hash}});
  return 0;
}

int run_allow_remove(const AllowOptions& o, app::Context& ctx) {
  auto& session = ctx.tenant_session();
  screen::Repository repo(session);
  screen::Screener keyer(std::vector<screen::Entity>{}, screen::Thresholds{});
  std::string key = keyer.name_key(o.name);
  bool removed = false;
  if (!ctx.dry_run)
    session.transaction([&] {
      removed = repo.disallow(key, o.list, o.uid);
      if (removed) session.audit(actor(o.by), "screen.disallow", "allow_list", key + "|" + o.list + "|" + o.uid, "{}");
    });
  if (!removed && !ctx.dry_run) throw DataError("no allow-list entry for '" + key + "' on " + o.list + "/" + o.uid);
  return 0;
}

void allow_target(CLI::App& c, AllowOptions& o) {
  c.add_option("NAME", o.name, "The screened name (as it appears in your data)")->required();
  c.add_option("--list", o.list, "List of the entity")->required()->check(CLI::IsMember(screen::known_lists()));
  c.add_option("--uid", o.uid, "Entity id on that list")->required();
  c.add_option("--by", o.by, "Who decides (default $USER)");
}

}  // namespace

void register_review(app::Tool& tool) {
  auto rl = std::make_shared<ReviewListOptions>();
  tool.add({.path = {"review", "list"}, .help = "Matches waiting for (or given) a human decision",
            .needs = app::Needs::tenant, .ledger = false},
           [rl](CLI::App& c) {
             c.add_option("--status", rl->status, "open, cleared, blocked or all")
                 ->check(CLI::IsMember({"open", "cleared", "blocked", "all"}));
             c.add_option("--limit", rl->limit, "At most this many rows")->check(CLI::Range(1, 1000000));
           },
           [rl](app::Context& ctx) { return run_review_list(*rl, ctx); });
  auto d = std::make_shared<DecideOptions>();
  tool.add({.path = {"review", "decide"}, .help = "Record the human decision on a match (audited)",
            .needs = app::Needs::tenant, .writes = true},
           [d](CLI::App& c) {
             c.add_option("ID", d->id, "Match id from `screen review list`")->required();
             c.add_flag("--clear", d->clear, "A false positive");
             c.add_flag("--block", d->block, "A true match");
             c.add_option("--note", d->note, "Why (required)");
             c.add_flag("--allow", d->allow, "With --clear: also allow-list this name against this entity");
             c.add_option("--expires", d->expires, "Allow-list expiry (ISO-8601 date)");
             c.add_option("--by", d->by, "Who decides (default $USER)");
           },
           [d](app::Context& ctx) { return run_decide(*d, ctx); });
  auto aa = std::make_shared<AllowOptions>();
  tool.add({.path = {"allow", "add"},
            .help = "Allow-list a known false positive: this name never again flags this entity while its listing is unchanged",
            .needs = app::Needs::tenant, .writes = true},
           [aa](CLI::App& c) {
             allow_target(c, *aa);
             c.add_option("--reason", aa->reason, "Why this is a false positive (required)");
             c.add_option("--expires", aa->expires, "Expiry (ISO-8601 date); none = until removed");
           },
           [aa](app::Context& ctx) { return run_allow_add(*aa, ctx); });
  tool.add({.path = {"allow", "list"}, .help = "Show the tenant's allow-list", .needs = app::Needs::tenant, .ledger = false},
           [](CLI::App&) {}, [](app::Context& ctx) { return run_allow_list(ctx); });
  auto ar = std::make_shared<AllowOptions>();
  tool.add({.path = {"allow", "remove"}, .help = "Remove an allow-list entry", .needs = app::Needs::tenant, .writes = true},
           [ar](CLI::App& c) { allow_target(c, *ar); }, [ar](app::Context& ctx) { return run_allow_remove(*ar, ctx); });
}

}  // namespace screen_cli
