#include <memory>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/output.hpp"
#include "core/text.hpp"
#include "scan/host.hpp"
#include "scan/report.hpp"
#include "scan/repository.hpp"
#include "scan/telemetry.hpp"

namespace scan_cli {
namespace app = opskit::app;
namespace sc = opskit::scan;

namespace {

struct HostOptions {
  std::string root = "/", fail_on;
};

int run_host(const HostOptions& o, app::Context& ctx) {
  sc::HostAudit audit = sc::audit_host(o.root);
  sc::EndpointResult r = sc::host_result(audit);
  if (!ctx.dry_run) {
    auto& s = ctx.tenant_session();
    sc::Repository repo(s);
    std::string at = ctx.clock.now_iso();
    s.transaction([&] {
      auto outcome = repo.store_endpoint(r, "host", at, ctx.run_id);
      ctx.counts["issues_opened"] = outcome.opened + outcome.reopened;
      ctx.counts["issues_closed"] = outcome.closed;
      s.audit("scan-endpoint", "host-audit", "endpoints", r.target, nlohmann::json{{"index", audit.index}}.dump());
    });
  }
  opskit::RowWriter w(ctx.out, ctx.format, {"check", "applies", "result", "severity", "evidence"});
  for (const auto& c : audit.checks)
    w.row({{"check", c.id}, {"applies", c.applies ? "yes" : "no"}, {"result", !c.applies ? "n/a" : c.passed ? "pass" : "FAIL"},
           {"severity", sc::severity_name(c.severity)}, {"evidence", c.evidence}, {"title", c.title}});
  w.row({{"check", "hardening-index"}, {"applies", "yes"}, {"result", std::to_string(audit.index)}, {"severity", ""},
         {"evidence", audit.hostname + " " + audit.os + " " + audit.kernel}});
  w.finish();
  ctx.counts["checks"] = static_cast<int64_t>(audit.checks.size());
  ctx.counts["hardening_index"] = audit.index;
  for (const auto& f : r.findings) ctx.findings[sc::severity_name(f.severity)]++;
  if (!o.fail_on.empty()) {
    auto sev = sc::parse_severity(o.fail_on);
    for (const auto& f : r.findings)
      if (sev && f.severity >= *sev) return static_cast<int>(opskit::ExitCode::findings);
  }
  return 0;
}

struct TelemetryOptions {
  std::string file;
  bool learn = false;
  double threshold = 85;
  int burst_gap = 600;
};

int run_telemetry(const TelemetryOptions& o, app::Context& ctx) {
  auto events = sc::read_events(o.file);
  if (!ctx.shard.all()) {
    std::vector<sc::TelemetryEvent> mine;
    for (auto& e : events)
      if (ctx.shard.owns(e.device)) mine.push_back(e);
    events = std::move(mine);
  }
  auto& s = ctx.tenant_session();
  sc::Repository repo(s);
  ctx.counts["events"] = static_cast<int64_t>(events.size());
  std::string at = ctx.clock.now_iso();
  if (o.learn) {
    auto counts = sc::learn(events);
    if (!ctx.dry_run)
      s.transaction([&] {
        for (auto& [dev, feats] : counts)
          for (auto& [f, values] : feats)
            for (auto& [v, n] : values) repo.add_baseline_counts(dev, f, v, n, at);
      });
    opskit::RowWriter w(ctx.out, ctx.format, {"device", "events", "processes", "paths", "destinations"});
    for (auto& [dev, feats] : counts)
      w.row({{"device", dev}, {"events", feats["_meta"]["events"]}, {"processes", feats["process"].size()},
             {"paths", feats["path"].size()}, {"destinations", feats["destination"].size()}});
    w.finish();
    return 0;
  }
  sc::Baselines baseline;
  for (auto& [dev, f, v, n] : repo.baseline_rows()) baseline[dev][f][v] = n;
  auto scored = sc::score_events(events, baseline);
  auto incidents = sc::group_incidents(scored, o.threshold, o.burst_gap);
  std::map<const sc::ScoredEvent*, int64_t> incident_of;
  if (!ctx.dry_run)
    s.transaction([&] {
      for (auto& inc : incidents) {
        nlohmann::json ev = nlohmann::json::array();
        for (auto* e : inc.events) {
          if (ev.size() >= 20) break;
          ev.push_back({{"time", e->event->time}, {"type", e->event->type}, {"score", e->score}, {"reasons", e->reasons}});
        }
        int64_t id = repo.upsert_incident(inc.key, inc.device, inc.opened_at, inc.last_event_at, inc.max_score,
                                          static_cast<int64_t>(inc.events.size()), inc.summary, ev.dump());
        for (auto* e : inc.events) incident_of[e] = id;
      }
      for (auto& se : scored) {
        const auto& e = *se.event;
        std::string subject = e.type == "file_change" ? e.path : e.type == "network_connect" ? e.destination : e.process;
        auto it = incident_of.find(&se);
        repo.add_event(e.key, e.device, e.time, e.type, subject, se.score,
                       it == incident_of.end() ? std::nullopt : std::optional<int64_t>(it->second),
                       nlohmann::json{{"process", e.process}, {"reasons", se.reasons}}.dump());
      }
      if (!incidents.empty())
        s.audit("scan-endpoint", "telemetry", "incidents", std::to_string(incidents.size()), "{}");
    });
  opskit::RowWriter w(ctx.out, ctx.format, {"incident", "device", "opened_at", "last_event_at", "events", "max_score", "summary"});
  for (auto& inc : incidents)
    w.row({{"incident", inc.key}, {"device", inc.device}, {"opened_at", inc.opened_at}, {"last_event_at", inc.last_event_at},
           {"events", inc.events.size()}, {"max_score", inc.max_score}, {"summary", inc.summary}});
  w.finish();
  ctx.counts["incidents"] = static_cast<int64_t>(incidents.size());
  ctx.findings["high"] += static_cast<int64_t>(incidents.size());
  return 0;
}

struct IncidentOptions {
  std::string status = "open", resolution = "resolved";
  int64_t id = 0;
};

}  // namespace

void register_device(app::Tool& tool) {
  auto host = std::make_shared<HostOptions>();
  tool.add({.path = {"host"}, .help = "Audit this machine (reads /proc and /etc) and store its hardening index", .writes = true},
           [host](CLI::App& c) {
             c.add_option("--root", host->root, "Audit a mounted system image under this directory (default /)");
             c.add_option("--fail-on", host->fail_on, "Exit 1 when a failed check is at or above this severity")
                 ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}));
           },
           [host](app::Context& ctx) { return run_host(*host, ctx); });

  auto tel = std::make_shared<TelemetryOptions>();
  tool.add({.path = {"telemetry"}, .help = "Ingest endpoint events (JSON lines): learn a baseline or score and open incidents", .writes = true},
           [tel](CLI::App& c) {
             c.add_option("file", tel->file, "Events as JSON lines ('-' = stdin)")->required();
             c.add_flag("--learn", tel->learn, "Add the events to the per-device baseline instead of scoring them");
             c.add_option("--threshold", tel->threshold, "Score above which an event is anomalous (default 85)");
             c.add_option("--burst-gap", tel->burst_gap, "Seconds between anomalous events of one burst (default 600)");
           },
           [tel](app::Context& ctx) { return run_telemetry(*tel, ctx); });

  auto inc = std::make_shared<IncidentOptions>();
  tool.add({.path = {"incidents", "list"}, .help = "List incidents"},
           [inc](CLI::App& c) {
             c.add_option("--status", inc->status, "open, resolved or all (default open)")->check(CLI::IsMember({"open", "resolved", "all"}));
           },
           [inc](app::Context& ctx) {
             sc::Repository repo(ctx.tenant_session());
             opskit::RowWriter w(ctx.out, ctx.format, {"id", "device", "opened_at", "last_event_at", "status", "events", "max_score", "summary"});
             for (const auto& i : repo.incidents(inc->status == "all" ? "" : inc->status))
               w.row({{"id", i.id}, {"device", i.device_id}, {"opened_at", i.opened_at}, {"last_event_at", i.last_event_at},
                      {"status", i.status}, {"events", i.event_count}, {"max_score", i.max_score}, {"summary", i.summary},
                      {"evidence", nlohmann::json::parse(i.evidence, nullptr, false)}, {"resolution", i.resolution}});
             w.finish();
             return 0;
           });
  tool.add({.path = {"incidents", "resolve"}, .help = "Resolve an open incident", .writes = true},
           [inc](CLI::App& c) {
             c.add_option("id", inc->id, "Incident id (from incidents list)")->required();
             c.add_option("--resolution", inc->resolution, "What was found or done");
           },
           [inc](app::Context& ctx) {
             if (ctx.dry_run) return 0;
             sc::Repository repo(ctx.tenant_session());
             bool ok = false;
             ctx.tenant_session().transaction([&] {
               ok = repo.resolve_incident(inc->id, ctx.clock.now_iso(), inc->resolution);
               if (ok) ctx.tenant_session().audit("scan-endpoint", "resolve", "incidents", std::to_string(inc->id),
                                                  nlohmann::json{{"resolution", inc->resolution}}.dump());
             });
             if (!ok) throw opskit::DataError("no open incident with id " + std::to_string(inc->id));
             return 0;
           });
}

}  // namespace scan_cli
