#include <unistd.h>

#include <iostream>
#include <iterator>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/output.hpp"
#include "core/text.hpp"
#include "scan/report.hpp"
#include "scan/repository.hpp"
#include "scan/scanner.hpp"

namespace scan_cli {
namespace app = opskit::app;
namespace sc = opskit::scan;

namespace {

struct GateOptions {
  std::string format, fail_on, min_grade, profile, hsts_preload;
};

void add_gate_flags(CLI::App& c, GateOptions& g) {
  c.add_option("--format", g.format, "text, json (JSON lines), csv, sarif or junit (default: the common --format)")
      ->check(CLI::IsMember({"text", "json", "csv", "sarif", "junit"}));
  c.add_option("--fail-on", g.fail_on, "Exit 1 when a finding is at or above this severity (info|low|medium|high|critical)")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}));
  c.add_option("--min-grade", g.min_grade, "Exit 1 when an endpoint grades below this (A+ .. F)");
  c.add_option("--profile", g.profile, "Only findings bearing on this framework, with a summary: soc2|hipaa|gdpr|pci")
      ->check(CLI::IsMember({"soc2", "hipaa", "gdpr", "pci"}));
  c.add_option("--hsts-preload", g.hsts_preload, "HSTS preload list (Chromium JSON or one host per line)");
}

sc::Gate make_gate(const GateOptions& g) {
  sc::Gate gate;
  if (!g.fail_on.empty()) gate.fail_on = sc::parse_severity(g.fail_on);
  if (!g.min_grade.empty()) {
    if (sc::grade_rank(g.min_grade) < 0) throw opskit::UsageError("--min-grade: unknown grade '" + g.min_grade + "'");
    gate.min_grade = g.min_grade;
  }
  if (!g.profile.empty()) gate.profile = sc::normalise_profile(g.profile);
  return gate;
}

sc::ReportFormat report_format(const GateOptions& g, app::Context& ctx) {
  return sc::parse_report_format(g.format.empty() ? ctx.config.get("format", "text") : g.format);
}

// Writes the report, fills metrics, returns the exit code of the gate.
int finish(std::vector<sc::EndpointResult>& results, const GateOptions& g, app::Context& ctx) {
  sc::Gate gate = make_gate(g);
  sc::apply_profile(results, gate.profile);
  sc::write_report(ctx.out, report_format(g, ctx), results, gate, app::version_line("scan-endpoint"));
  bool gated = gate.fail_on || !gate.min_grade.empty();
  int failing = 0, errors = 0;
  for (const auto& r : results) {
    if (!r.expect_grade.empty()) gated = true;
    if (r.status != "ok") ++errors;
    if (!sc::gate_failures(r, gate).empty()) ++failing;
    for (const auto& f : r.findings) ctx.findings[sc::severity_name(f.severity)]++;
  }
  ctx.counts["endpoints"] = static_cast<int64_t>(results.size());
  ctx.counts["endpoint_errors"] = errors;
  ctx.counts["gate_failures"] = failing;
  int unusable = 0;  // refused by the allow-list or not a URL
  for (const auto& r : results) unusable += r.status == "refused" || r.status == "invalid";
  if (gated && failing) return static_cast<int>(opskit::ExitCode::findings);
  if (!results.empty() && errors == static_cast<int>(results.size())) {
    if (unusable == errors) return static_cast<int>(opskit::ExitCode::data);  // nothing was allowed to be scanned
    return static_cast<int>(opskit::ExitCode::network);
  }
  return 0;
}

struct GradeOptions {
  std::string file, url, input = "auto";
  GateOptions gate;
};

int run_grade(const GradeOptions& o, app::Context& ctx) {
  std::string content = o.file == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : opskit::text::read_file(o.file);
  std::string kind = o.input;
  if (kind == "auto") {
    std::string_view t = opskit::text::trim(std::string_view(content).substr(0, 64));
    kind = t.starts_with("{") ? "har" : "curl";
  }
  // A curl dump does not say which URL it came from; a HAR does.
  std::vector<sc::Response> chain = kind == "har" ? sc::parse_har(content, o.file)
                                                  : sc::parse_curl_dump(content, o.file, o.url.empty() ? "https://localhost/" : o.url);
  if (kind == "har" && !o.url.empty()) chain.front().url = o.url;
  sc::HstsPreload preload;
  if (!o.gate.hsts_preload.empty()) preload.load_file(o.gate.hsts_preload);
  std::vector<sc::EndpointResult> results{sc::grade_recorded(chain, o.file, &preload)};
  return finish(results, o.gate, ctx);
}

struct UrlOptions {
  std::vector<std::string> urls, headers, resolve;
  std::string targets, ca_file;
  int concurrency = 64, per_host = 2, retries = 1, max_redirects = 10;
  double rate = 0, connect_timeout = 5, timeout = 10, target_timeout = 60;
  bool no_tls = false, no_exposure = false, no_legacy_tls = false;
  GateOptions gate;
};

int run_url(const UrlOptions& o, app::Context& ctx) {
  sc::TargetList list;
  if (!o.targets.empty()) list = sc::read_targets(o.targets);
  sc::TargetList cli = sc::targets_from_urls(o.urls);
  list.targets.insert(list.targets.end(), cli.targets.begin(), cli.targets.end());
  list.bad.insert(list.bad.end(), cli.bad.begin(), cli.bad.end());
  if (list.targets.empty() && list.bad.empty()) throw opskit::UsageError("give URLs or --targets FILE");
  if (!ctx.shard.all()) {
    std::vector<sc::Target> mine;
    for (auto& t : list.targets)
      if (ctx.shard.owns(t.url)) mine.push_back(t);
    list.targets = std::move(mine);
  }
  for (auto& t : list.targets)
    for (const auto& h : o.headers) t.headers.push_back(h);
  for (const auto& b : list.bad) ctx.log.warn("bad target: " + b.where.str() + ": " + b.reason);

  auto& session = ctx.tenant_session();
  sc::Repository repo(session);
  sc::AllowList allow{repo.allowed_hosts()};
  if (allow.patterns.empty())
    ctx.log.warn("the tenant's allow-list is empty: every target is refused (add hosts with `scan-endpoint allow add HOST`)");

  sc::HstsPreload preload;
  if (!o.gate.hsts_preload.empty()) preload.load_file(o.gate.hsts_preload);
  sc::ScanOptions so;
  so.concurrency = static_cast<size_t>(std::max(1, o.concurrency));
  so.per_host = static_cast<size_t>(std::max(1, o.per_host));
  so.per_host_rate = o.rate;
  so.connect_timeout_ms = static_cast<long>(o.connect_timeout * 1000);
  so.request_timeout_ms = static_cast<long>(o.timeout * 1000);
  so.target_timeout_ms = static_cast<long>(o.target_timeout * 1000);
  so.retries = o.retries;
  so.max_redirects = o.max_redirects;
  so.tls = !o.no_tls;
  so.exposure = !o.no_exposure;
  so.tls_options.ca_file = o.ca_file;
  so.tls_options.probe_legacy = !o.no_legacy_tls;
  so.tls_options.timeout_ms = static_cast<int>(so.connect_timeout_ms);
  so.resolve = o.resolve;
  so.preload = &preload;
  so.now_unix = ctx.clock.now_unix();
  so.seed = ctx.random.seed();

  sc::CurlOptions co;
  co.user_agent = "opskit-scan-endpoint/" + std::string(OPSKIT_SCAN_VERSION) + " (+security posture scanner)";
  co.ca_file = o.ca_file;
  co.resolve = o.resolve;
  co.max_host_connections = so.per_host;
  auto transport = sc::make_curl_transport(co);
  auto results = sc::scan_targets(list, allow, so, *transport);

  if (!ctx.dry_run) {
    std::string at = ctx.clock.now_iso();
    int opened = 0, closed = 0;
    session.transaction([&] {
      for (auto& r : results) {
        if (r.status == "invalid" || r.status == "refused") continue;
        if (r.status == "ok") {
          auto changes = repo.diff_and_update_baseline(r, at);
          r.findings.insert(r.findings.end(), changes.begin(), changes.end());
          sc::sort_findings(r.findings);
        }
        auto outcome = repo.store_endpoint(r, "web", at, ctx.run_id);
        opened += outcome.opened + outcome.reopened;
        closed += outcome.closed;
      }
      session.audit("scan-endpoint", "scan", "endpoints", std::to_string(results.size()),
                    nlohmann::json{{"opened", opened}, {"closed", closed}}.dump());
    });
    ctx.counts["issues_opened"] = opened;
    ctx.counts["issues_closed"] = closed;
  }
  return finish(results, o.gate, ctx);
}

struct AllowOptions {
  std::string pattern;
};

struct IssueOptions {
  std::string status = "open", endpoint;
};

}  // namespace

void register_web(app::Tool& tool) {
  auto grade = std::make_shared<GradeOptions>();
  tool.add({.path = {"grade"}, .help = "Grade a recorded response offline (`curl -sD -` output or a HAR file)", .needs = app::Needs::nothing},
           [grade](CLI::App& c) {
             c.add_option("file", grade->file, "Recorded response: curl -sD - output, or a HAR file ('-' = stdin)")->required();
             c.add_option("--url", grade->url, "The URL the recording was made from (default https://localhost/ for curl output)");
             c.add_option("--input", grade->input, "auto, curl or har")->check(CLI::IsMember({"auto", "curl", "har"}));
             add_gate_flags(c, grade->gate);
           },
           [grade](app::Context& ctx) { return run_grade(*grade, ctx); });

  auto url = std::make_shared<UrlOptions>();
  tool.add({.path = {"url"}, .help = "Scan web/API endpoints (headers, TLS, exposure) and store the results", .writes = true},
           [url](CLI::App& c) {
             c.add_option("urls", url->urls, "URLs to scan");
             c.add_option("--targets", url->targets, "File of targets: one URL per line, or YAML with per-target options");
             c.add_option("--header,-H", url->headers, "Extra request header for every target ('Name: value'); repeatable");
             c.add_option("--concurrency", url->concurrency, "Requests in flight overall (default 64)");
             c.add_option("--per-host", url->per_host, "Requests in flight per host (default 2)");
             c.add_option("--rate", url->rate, "Requests per second per host (default: no limit)");
             c.add_option("--connect-timeout", url->connect_timeout, "Seconds to connect (default 5)");
             c.add_option("--timeout", url->timeout, "Seconds per request (default 10)");
             c.add_option("--target-timeout", url->target_timeout, "Seconds for all checks of one target (default 60)");
             c.add_option("--retries", url->retries, "Retries on transport errors and 429/503 (default 1)");
             c.add_option("--max-redirects", url->max_redirects, "Redirect hops followed (default 10)");
             c.add_option("--ca-file", url->ca_file, "CA bundle to verify certificates against (default: system store)");
             c.add_option("--resolve", url->resolve, "HOST:PORT:ADDR, as curl --resolve; repeatable");
             c.add_flag("--no-tls", url->no_tls, "Skip TLS probing");
             c.add_flag("--no-legacy-tls", url->no_legacy_tls, "Do not probe TLS 1.0/1.1");
             c.add_flag("--no-exposure", url->no_exposure, "Skip the sensitive-path exposure checks");
             add_gate_flags(c, url->gate);
           },
           [url](app::Context& ctx) { return run_url(*url, ctx); });

  auto allow = std::make_shared<AllowOptions>();
  tool.add({.path = {"allow", "add"}, .help = "Allow a host pattern to be scanned (name, *.domain or *)", .writes = true},
           [allow](CLI::App& c) { c.add_option("pattern", allow->pattern, "Host name, *.example.com or *")->required(); },
           [allow](app::Context& ctx) {
             std::string p = opskit::text::lower(opskit::text::trim(allow->pattern));
             if (p.empty() || p.find('/') != std::string::npos || p.find(':') != std::string::npos)
               throw opskit::UsageError("a pattern is a host name, *.domain or * (no scheme, port or path)");
             if (!ctx.dry_run) {
               sc::Repository repo(ctx.tenant_session());
               ctx.tenant_session().transaction([&] {
                 repo.allow_host(p, ctx.clock.now_iso());
                 ctx.tenant_session().audit("scan-endpoint", "allow", "scan_allowed_hosts", p, "{}");
               });
             }
             ctx.counts["patterns"] = 1;
             return 0;
           });
  tool.add({.path = {"allow", "remove"}, .help = "Remove a host pattern from the allow-list", .writes = true},
           [allow](CLI::App& c) { c.add_option("pattern", allow->pattern, "The pattern to remove")->required(); },
           [allow](app::Context& ctx) {
             std::string p = opskit::text::lower(opskit::text::trim(allow->pattern));
             bool removed = false;
             if (!ctx.dry_run) {
               sc::Repository repo(ctx.tenant_session());
               ctx.tenant_session().transaction([&] {
                 removed = repo.disallow_host(p);
                 if (removed) ctx.tenant_session().audit("scan-endpoint", "disallow", "scan_allowed_hosts", p, "{}");
               });
             }
             if (!removed && !ctx.dry_run) ctx.log.warn("pattern '" + p + "' was not in the allow-list");
             return 0;
           });
  tool.add({.path = {"allow", "list"}, .help = "List the tenant's allow-list"}, [](CLI::App&) {},
           [](app::Context& ctx) {
             sc::Repository repo(ctx.tenant_session());
             opskit::RowWriter w(ctx.out, ctx.format, {"pattern"});
             for (const auto& p : repo.allowed_hosts()) w.row({{"pattern", p}});
             w.finish();
             return 0;
           });

  auto issues = std::make_shared<IssueOptions>();
  tool.add({.path = {"issues", "list"}, .help = "List stored security issues"},
           [issues](CLI::App& c) {
             c.add_option("--status", issues->status, "open, closed or all (default open)")->check(CLI::IsMember({"open", "closed", "all"}));
             c.add_option("--endpoint", issues->endpoint, "Only this endpoint");
           },
           [issues](app::Context& ctx) {
             sc::Repository repo(ctx.tenant_session());
             opskit::RowWriter w(ctx.out, ctx.format, {"endpoint", "rule", "severity", "status", "first_seen_at", "last_seen_at", "closed_at", "controls"});
             auto rows = repo.issues(issues->status == "all" ? "" : issues->status, issues->endpoint);
             for (const auto& i : rows)
               w.row({{"endpoint", i.endpoint}, {"rule", i.rule}, {"severity", i.severity}, {"status", i.status},
                      {"first_seen_at", i.first_seen_at}, {"last_seen_at", i.last_seen_at}, {"closed_at", i.closed_at},
                      {"controls", i.controls}, {"title", i.title}, {"evidence", i.evidence}, {"times_reopened", i.times_reopened}});
             w.finish();
             ctx.counts["issues"] = static_cast<int64_t>(rows.size());
             return 0;
           });
  tool.add({.path = {"issues", "history"}, .help = "Open/close history of security issues"},
           [issues](CLI::App& c) { c.add_option("--endpoint", issues->endpoint, "Only this endpoint"); },
           [issues](app::Context& ctx) {
             sc::Repository repo(ctx.tenant_session());
             opskit::RowWriter w(ctx.out, ctx.format, {"at", "endpoint", "rule", "event"});
             for (const auto& i : repo.issue_history_rows(issues->endpoint))
               w.row({{"at", i.last_seen_at}, {"endpoint", i.endpoint}, {"rule", i.rule}, {"event", i.status}});
             w.finish();
             return 0;
           });
  tool.add({.path = {"history"}, .help = "Grade and hardening-index trend: one row per endpoint per scan"},
           [issues](CLI::App& c) { c.add_option("--endpoint", issues->endpoint, "Only this endpoint (a URL, or host:NAME)"); },
           [issues](app::Context& ctx) {
             sc::Repository repo(ctx.tenant_session());
             opskit::RowWriter w(ctx.out, ctx.format,
                                 {"scanned_at", "endpoint", "kind", "status", "grade", "score", "tls_grade", "open_issues"});
             auto rows = repo.scan_history(issues->endpoint);
             for (const auto& h : rows)
               w.row({{"scanned_at", h.scanned_at}, {"endpoint", h.endpoint}, {"kind", h.kind}, {"status", h.status},
                      {"grade", h.grade}, {"score", h.score ? std::to_string(*h.score) : std::string()},
                      {"tls_grade", h.tls_grade}, {"open_issues", h.open_issues}, {"run_id", h.run_id}});
             w.finish();
             ctx.counts["rows"] = static_cast<int64_t>(rows.size());
             return 0;
           });
}

}  // namespace scan_cli
