// screen lists update | show | diff
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "core/text.hpp"
#include "screen/fetch.hpp"
#include "screen/parsers.hpp"
#include "screen/service.hpp"

namespace screen_cli {

using namespace opskit;
namespace fs = std::filesystem;

namespace {

struct UpdateOptions {
  std::string from, list;
  bool force = false;
};

std::string cache_dir(const app::Context& ctx) {
  std::string d = ctx.config.get("screen.cache_dir");
  if (!d.empty()) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/opskit/screen";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/opskit/screen";
  return "./.opskit-cache/screen";
}

int run_update(const UpdateOptions& o, app::Context& ctx) {
  auto& session = ctx.tenant_session();
  screen::Repository repo(session);
  screen::LoadOptions lo;
  lo.force = o.force;
  lo.dry_run = ctx.dry_run;
  lo.max_shrink = ctx.config.get_double("screen.max_shrink", 0.2);
  if (lo.max_shrink < 0 || lo.max_shrink > 1) throw DataError("screen.max_shrink must be between 0 and 1");
  std::vector<std::pair<std::string, std::string>> files;
  RowWriter out(ctx.out, ctx.format, {"list", "status", "version", "entities", "names", "published", "sha256", "message"});
  int rc = 0;
  auto report = [&](const screen::LoadOutcome& r) {
    out.row({{"list", r.list}, {"status", r.status}, {"version", r.version.id}, {"entities", r.version.entities},
             {"names", r.version.names}, {"published", r.version.published},
             {"sha256", r.version.sha256.substr(0, 12)}, {"message", r.message}, {"path", r.path},
             {"previous_entities", r.previous_entities}, {"skipped", r.version.skipped}});
    ctx.counts["lists_" + r.status] += 1;
    if (r.status == "activated") ctx.counts["entities"] += r.version.entities;
    if (r.status == "failed" || r.status == "refused") {
      ctx.log.error(r.list + ": " + r.message);
      if (rc == 0) rc = static_cast<int>(ExitCode::data);
    }
  };
  if (!o.from.empty()) {
    files = screen::discover_lists(o.from);
    if (!o.list.empty())
      for (auto& f : files) f.first = o.list;
  } else {
    screen::FetchOptions fo;
    fo.timeout_seconds = static_cast<int>(ctx.config.get_double("screen.timeout", 120));
    fo.attempts = static_cast<int>(ctx.config.get_double("screen.attempts", 3));
    fo.retry_delay = ctx.config.get_double("screen.retry_delay", 2);
    fo.ca_file = ctx.config.get("screen.ca_file");
    if (fo.timeout_seconds < 1 || fo.attempts < 1 || fo.retry_delay < 0)
      throw DataError("screen.timeout and screen.attempts must be at least 1, screen.retry_delay not negative");
    auto wanted = text::split(ctx.config.get("screen.lists"), ',');
    for (auto& w : wanted) w = std::string(text::trim(w));
    for (const auto& w : wanted)
      if (!w.empty() && std::find(screen::known_lists().begin(), screen::known_lists().end(), w) == screen::known_lists().end())
        throw DataError("screen.lists: unknown list '" + w + "'");
    for (const auto& src : screen::default_sources()) {
      if (!o.list.empty() && src.list != o.list) continue;
      if (o.list.empty() && std::find(wanted.begin(), wanted.end(), src.list) == wanted.end()) continue;
      screen::ListSource s = src;
      std::string key = "screen.url." + src.list;
      if (ctx.config.has(key)) s.urls = text::split(ctx.config.get(key), ',');
      ctx.log.info("downloading " + s.list, {{"url", s.urls.front()}});
      screen::FetchResult got;
      try {
        got = screen::fetch_list(s, cache_dir(ctx), fo);
      } catch (const NetworkError& e) {
        // One unreachable list does not hold back the others; its active version stays.
        screen::LoadOutcome r;
        r.list = s.list;
        r.path = s.urls.front();
        r.status = "failed";
        r.message = e.what();
        if (auto prev = repo.active_version(s.list)) {
          r.version = *prev;
          r.message += " (version " + std::to_string(prev->id) + " stays active)";
        }
        report(r);
        rc = static_cast<int>(ExitCode::network);
        continue;
      }
      if (!got.modified && !o.force)
        if (auto same = screen::unchanged_list(repo, s.list, got.path)) {
          report(*same);
          continue;
        }
      files.emplace_back(s.list, got.path);
    }
  }
  for (const auto& [list, path] : files) report(screen::load_list(repo, session, list, path, lo, ctx.clock.now_iso()));
  return rc;
}

int run_show(app::Context& ctx) {
  screen::Repository repo(ctx.tenant_session());
  RowWriter out(ctx.out, ctx.format,
                {"version", "list", "active", "published", "loaded_at", "entities", "names", "sha256"});
  for (const auto& v : repo.versions())
    out.row({{"version", v.id}, {"list", v.list}, {"active", v.active ? "yes" : "no"}, {"published", v.published},
             {"loaded_at", v.loaded_at}, {"entities", v.entities}, {"names", v.names},
             {"sha256", ctx.format == Format::text ? v.sha256.substr(0, 12) : v.sha256}, {"source", v.source},
             {"skipped", v.skipped}});
  return 0;
}

int run_diff(int64_t old_id, int64_t new_id, app::Context& ctx) {
  screen::Repository repo(ctx.tenant_session());
  auto changes = screen::diff_versions(repo, old_id, new_id);
  RowWriter out(ctx.out, ctx.format, {"change", "list", "uid", "name"});
  for (const auto& c : changes) {
    out.row({{"change", c.change}, {"list", c.list}, {"uid", c.uid}, {"name", c.name}});
    ctx.counts[c.change] += 1;
  }
  return 0;
}

}  // namespace

void register_lists(app::Tool& tool) {
  auto update = std::make_shared<UpdateOptions>();
  tool.add({.path = {"lists", "update"},
            .help = "Download the official lists (or load them --from files) and activate each version that parsed whole",
            .needs = app::Needs::tenant,
            .writes = true},
           [update](CLI::App& c) {
             c.add_option("--from", update->from,
                          "Load from a file or directory instead of downloading (a directory like ofac_sdn/, un/, uk/, eu/)");
             c.add_option("--list", update->list, "Only this list (ofac_sdn, ofac_cons, un, uk, eu), or the list a --from file holds")
                 ->check(CLI::IsMember(screen::known_lists()));
             c.add_flag("--force", update->force, "Accept a list that shrank by more than screen.max_shrink");
           },
           [update](app::Context& ctx) { return run_update(*update, ctx); });
  tool.add({.path = {"lists", "show"}, .help = "Show every loaded list version and which one is active",
            .needs = app::Needs::tenant, .ledger = false},
           [](CLI::App&) {}, [](app::Context& ctx) { return run_show(ctx); });
  auto ids = std::make_shared<std::pair<int64_t, int64_t>>();
  tool.add({.path = {"lists", "diff"}, .help = "Entities added, removed or changed between two list versions",
            .needs = app::Needs::tenant, .ledger = false},
           [ids](CLI::App& c) {
             c.add_option("OLD", ids->first, "Old version id (from `screen lists show`)")->required();
             c.add_option("NEW", ids->second, "New version id")->required();
           },
           [ids](app::Context& ctx) { return run_diff(ids->first, ids->second, ctx); });
}

}  // namespace screen_cli
