// Kinds over the other tools' tables. Each kind checks that its tables are
// part of this database first: a tool not yet run (or not in this build)
// gives a report that says there is no data yet, never an error.
#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/text.hpp"
#include "kinds_internal.hpp"
#include "report/document.hpp"
#include "store/ledger.hpp"

namespace opskit::report::detail {
using nlohmann::json;

namespace {

// True when every table exists and the first holds rows for the tenant;
// otherwise marks the document no_data. The note is the same whether the
// tool's tables are missing from this build or merely empty.
bool require_data(BuildContext& c, json& doc, const std::string& tool, std::initializer_list<const char*> tables) {
  bool ok = true;
  for (const char* t : tables) ok = ok && c.repo.has_table(t);
  if (ok) ok = c.repo.count_rows(*tables.begin()) > 0;
  if (!ok) no_data(doc, "No data yet for this report: run `" + tool + "` for this tenant first.");
  return ok;
}

// A day x endpoint table of scores (one column per endpoint, first
// kMaxSeries by name so the chart stays legible), drawn as a time series.
Section daily_scores(const std::string& id, const std::string& title, const std::string& description, const store::Rows& rows,
                     const std::string& empty) {
  constexpr size_t kMaxSeries = 8;
  std::set<std::string> names;
  for (const auto& r : rows) names.insert(r.text("endpoint"));
  std::vector<std::string> shown(names.begin(), names.end());
  if (shown.size() > kMaxSeries) shown.resize(kMaxSeries);
  std::map<std::string, std::map<std::string, int64_t>> grid;  // day -> endpoint -> score
  for (const auto& r : rows)
    if (std::find(shown.begin(), shown.end(), r.text("endpoint")) != shown.end()) grid[r.text("day")][r.text("endpoint")] = r.integer("score");
  Section s(id, title, names.size() > kMaxSeries ? description + " The first " + std::to_string(kMaxSeries) + " of " +
                                                       std::to_string(names.size()) + " by name." : description);
  std::vector<Column> cols{{"day", "Day", "time"}};
  std::vector<std::string> series;
  for (size_t i = 0; i < shown.size(); ++i) {
    cols.push_back({"s" + std::to_string(i + 1), shown[i], "int"});
    series.push_back("s" + std::to_string(i + 1));
  }
  s.columns(cols);
  for (const auto& [day, scores] : grid) {
    json row = json::array({day});
    for (const auto& n : shown) row.push_back(scores.count(n) ? json(scores.at(n)) : json());
    s.row(row);
  }
  s.chart("time_series", "day", series).empty_note(empty);
  return s;
}

}  // namespace

void summary_domain_rows(BuildContext& c, Section& figures, json& doc) {
  struct Area {
    const char* area;
    const char* table;
    const char* measure;
  };
  static const Area areas[] = {
      {"screening", "transactions", "transactions"},     {"screening", "screening_matches", "screening matches"},
      {"leads", "leads", "leads"},                       {"threats", "dns_events", "DNS events"},
      {"threats", "network_devices", "network devices"}, {"posture", "endpoints", "endpoints"},
      {"posture", "security_issues", "security issues"}, {"posture", "incidents", "incidents"},
      {"simulation", "causal_simulations", "simulation runs"}, {"report", "report_runs", "reports rendered"},
  };
  // Only areas that hold rows: an empty or absent table says nothing on one page.
  for (const auto& a : areas)
    if (c.repo.has_table(a.table))
      if (int64_t n = c.repo.count_rows(a.table); n > 0) figures.row({a.area, a.measure, n});
}

void build_screening(BuildContext& c, json& doc) {
  if (!require_data(c, doc, "screen", {"transactions", "sanctions_lists", "screening_matches", "screening_reviews"})) return;
  const auto open = c.repo.screening_open_reviews(c.request.limit);
  Section overview("overview", "Overview");
  overview.fact("Subjects screened", c.repo.screening_subjects(c.period)).fact("Open reviews", static_cast<int64_t>(open.size()));
  add_section(doc, overview);

  Section lists("lists", "Lists in force", "The active version of every sanctions list, with its SHA-256.");
  lists.columns({{"list", "List"}, {"source", "Source"}, {"published", "Published", "time"}, {"loaded_at", "Loaded", "time"},
                 {"entity_count", "Entities", "int"}, {"sha256", "SHA-256"}})
      .rows(c.repo.screening_lists())
      .empty_note("No list is active.");
  add_section(doc, lists);

  // One column per status seen, in byte order, for a stacked bar over days.
  const auto by_day = c.repo.screening_status_by_day(c.period);
  std::map<std::string, std::map<std::string, int64_t>> grid;
  std::set<std::string> statuses;
  for (const auto& r : by_day) {
    grid[r.text("day")][r.text("status")] += r.integer("subjects");
    statuses.insert(r.text("status"));
  }
  std::vector<Column> cols{{"day", "Day", "time"}};
  std::vector<std::string> series;
  for (const auto& s : statuses) {
    cols.push_back({"status_" + s, s, "int"});
    series.push_back("status_" + s);
  }
  Section decisions("decisions_by_day", "Decisions by status over time", "Subjects screened per day by their screening status.");
  decisions.columns(cols);
  for (const auto& [day, counts] : grid) {
    json row = json::array({day});
    for (const auto& s : statuses) row.push_back(counts.count(s) ? counts.at(s) : 0);
    decisions.row(row);
  }
  decisions.chart("stacked_bar", "day", series).empty_note("Nothing screened in this period.");
  add_section(doc, decisions);

  Section reviews("open_reviews", "Open reviews", "Matches awaiting a human decision, oldest first.");
  reviews.columns({{"id", "Match", "int"}, {"subject_id", "Subject"}, {"subject_name", "Name"}, {"list", "List"},
                   {"entity_name", "Listed entity"}, {"score", "Score", "real"}, {"created_at", "Raised", "time"},
                   {"age_days", "Age (days)", "real"}});
  for (const auto& r : open) {
    const double age = seconds_between(r.text("created_at"), c.request.now);
    reviews.row({r.integer("id"), r.text("subject_id"), r.text("subject_name"), r.text("list"), r.text("entity_name"),
                 r.real("score"), r.text("created_at"), age < 0 ? json() : json(age / 86400.0)});
  }
  reviews.empty_note("No open reviews.");
  add_section(doc, reviews);

  Section top("top_entities", "Most matched listed entities", "Matches raised in the period per listed entity.");
  top.columns({{"list", "List"}, {"entity_name", "Listed entity"}, {"matches", "Matches", "int"}})
      .rows(c.repo.screening_top_entities(c.period, 10))
      .chart("bar", "entity_name", {"matches"})
      .empty_note("No matches in this period.");
  add_section(doc, top);
}

void build_kyc(BuildContext& c, json& doc) {
  if (!require_data(c, doc, "screen", {"transactions", "sanctions_lists", "screening_matches", "screening_reviews"})) return;
  const std::string& id = c.request.subject;
  const auto subject = c.repo.kyc_subject(id);
  const auto matches = c.repo.kyc_matches(id);
  if (subject.empty() && matches.empty())
    throw DataError(SourceLocation{"", 0, 0, "CUSTOMER"}, "customer or counterparty '" + id + "' was never screened for this tenant");
  const auto verdict = store::verify_audit(c.repo.session());
  Section overview("overview", "Evidence summary");
  overview.fact("Customer", id)
      .fact("Screenings", static_cast<int64_t>(subject.size()))
      .fact("Matches", static_cast<int64_t>(matches.size()))
      .fact("Audit chain", verdict.ok ? std::string("intact") : "BROKEN at entry " + std::to_string(verdict.first_bad_seq))
      .fact("Audit entries verified", verdict.rows);
  add_section(doc, overview);

  Section screenings("screenings", "Every screening", "Each record screened under this id or counterparty name.");
  screenings.columns({{"id", "Record"}, {"kind", "Kind"}, {"date", "Date", "time"}, {"amount", "Amount", "real"}, {"currency", "Currency"},
                      {"counterparty", "Counterparty"}, {"country", "Country"}, {"sanctions_status", "Status"},
                      {"compliance_score", "Score", "real"}, {"screened_at", "Screened", "time"}, {"lists_hash", "Lists hash"}})
      .rows(subject)
      .empty_note("No screening records under this id.");
  add_section(doc, screenings);

  Section versions("list_versions", "List versions used");
  versions.columns({{"id", "Version", "int"}, {"list", "List"}, {"source", "Source"}, {"published", "Published", "time"},
                    {"sha256", "SHA-256"}, {"loaded_at", "Loaded", "time"}})
      .rows(c.repo.kyc_list_versions(id))
      .empty_note("No match, so no list version is referenced.");
  add_section(doc, versions);

  Section m("matches", "Matches with explanations");
  m.columns({{"id", "Match", "int"}, {"list", "List"}, {"list_version", "Version", "int"}, {"entity_uid", "Entity"},
             {"entity_name", "Listed name"}, {"matched_name", "Matched name"}, {"score", "Score", "real"}, {"status", "Status"},
             {"explanation", "Explanation"}, {"review_status", "Review"}, {"reviewed_by", "Reviewer"}, {"reviewed_at", "Reviewed", "time"},
             {"review_note", "Note"}})
      .rows(matches)
      .empty_note("No matches.");
  add_section(doc, m);

  Section decisions("decisions", "Human decisions");
  decisions.columns({{"match_id", "Match", "int"}, {"decision", "Decision"}, {"note", "Note"}, {"actor", "By"}, {"decided_at", "At", "time"}})
      .rows(c.repo.kyc_reviews(id))
      .empty_note("No decisions recorded.");
  add_section(doc, decisions);

  Section audit("audit", "Audit entries for these rows",
                std::string("Chain verification over the whole tenant log: ") + (verdict.ok ? "intact." : "BROKEN: " + verdict.reason));
  audit.columns({{"seq", "Seq", "int"}, {"at", "At", "time"}, {"actor", "Actor"}, {"action", "Action"}, {"object_type", "Object type"},
                 {"object_id", "Object"}, {"hash", "Hash"}})
      .rows(c.repo.kyc_audit(id))
      .empty_note("No audit entries name this customer or its matches.");
  add_section(doc, audit);
}

void build_leads(BuildContext& c, json& doc) {
  if (!require_data(c, doc, "score-leads", {"leads", "lead_models", "lead_drift"})) return;
  const auto bands = c.repo.leads_by_band();
  int64_t scored = 0;
  for (const auto& r : bands) scored += r.integer("leads");
  Section overview("overview", "Overview");
  overview.fact("Leads", c.repo.count_rows("leads")).fact("Scored", scored);
  const auto models = c.repo.leads_models(10);
  for (const auto& r : models)
    if (r.integer("promoted") == 1) {
      overview.fact("Model in use", r.text("version"));
      auto metrics = json::parse(r.text("metrics", "{}"), nullptr, false);
      if (metrics.is_object())
        for (auto& [k, v] : metrics.items())
          if (v.is_number()) overview.fact(k, v);
      break;
    }
  add_section(doc, overview);

  Section pipeline("pipeline", "Pipeline by score band", "Scored leads per band: won, lost, still open.");
  pipeline.columns({{"band", "Score band"}, {"leads", "Leads", "int"}, {"won", "Won", "int"}, {"lost", "Lost", "int"}, {"open", "Open", "int"}})
      .rows(bands)
      .chart("stacked_bar", "band", {"won", "lost", "open"})
      .empty_note("No scored leads.");
  add_section(doc, pipeline);

  Section calibration("calibration", "Calibration", "Mean predicted probability against the observed conversion rate per band (closed leads).");
  calibration.columns({{"band", "Score band"}, {"leads", "Closed leads", "int"}, {"predicted", "Predicted", "real"}, {"observed", "Observed", "real"}})
      .rows(c.repo.leads_calibration())
      .chart("time_series", "band", {"predicted", "observed"})
      .empty_note("No closed, scored leads to calibrate against.");
  add_section(doc, calibration);

  Section mod("models", "Models", "Most recent first; metrics as recorded at training.");
  mod.columns({{"version", "Version"}, {"kind", "Kind"}, {"training_rows", "Training rows", "int"}, {"created_at", "Trained", "time"},
               {"promoted", "In use", "int"}, {"metrics", "Metrics"}})
      .rows(models)
      .empty_note("No model trained yet.");
  add_section(doc, mod);

  Section drift("drift", "Drift warnings", "Population stability index per feature at the latest check, highest first.");
  drift.columns({{"run_at", "Checked", "time"}, {"model_version", "Model"}, {"feature", "Feature"}, {"psi", "PSI", "real"}, {"level", "Level"}})
      .rows(c.repo.leads_drift(c.request.limit))
      .chart("bar", "feature", {"psi"})
      .empty_note("No drift check recorded.");
  add_section(doc, drift);

  Section top("top_open", "Top open leads", "Open leads with the highest scores and their reasons.");
  top.columns({{"external_id", "Lead"}, {"score", "Score", "int"}, {"probability", "Probability", "real"}, {"status", "Status"},
               {"scored_at", "Scored", "time"}, {"reasons", "Reasons"}})
      .rows(c.repo.leads_top(c.request.limit))
      .empty_note("No open scored leads.");
  add_section(doc, top);

  // score-leads writes one history row per lead whose score changed.
  if (c.repo.has_table("lead_score_history")) {
    Section movers("movers", "Top movers", "Leads whose score changed in the period: the score before the first change and "
                   "after the last one, largest move first.");
    const auto summary = c.repo.leads_moves_summary(c.period);
    if (!summary.empty())
      movers.fact("Leads that moved", summary[0].integer("leads"))
          .fact("Moves up", summary[0].integer("up"))
          .fact("Moves down", summary[0].integer("down"));
    movers.columns({{"external_id", "Lead"}, {"from_score", "From", "int"}, {"to_score", "To", "int"}, {"change", "Change", "int"},
                    {"changes", "Changes", "int"}, {"last_changed", "Last change", "time"}, {"model_version", "Model"}})
        .rows(c.repo.leads_movers(c.period, std::min(c.request.limit, 20)))
        .chart("bar", "external_id", {"change"})
        .empty_note("No lead's score changed in this period.");
    add_section(doc, movers);
  }
}

void build_threats(BuildContext& c, json& doc) {
  if (!require_data(c, doc, "capture", {"dns_events", "threat_intelligence", "network_devices"})) return;
  std::map<std::string, std::map<std::string, int64_t>> grid;
  std::set<std::string> severities;
  int64_t alerts = 0;
  for (const auto& r : c.repo.threats_by_type_severity(c.period)) {
    grid[r.text("threat_type")][r.text("severity")] += r.integer("alerts");
    severities.insert(r.text("severity"));
    alerts += r.integer("alerts");
  }
  Section overview("overview", "Overview");
  overview.fact("Alerts", alerts);
  add_section(doc, overview);

  std::vector<Column> cols{{"threat_type", "Type"}};
  std::vector<std::string> series;
  for (const auto& s : severities) {
    cols.push_back({"sev_" + s, s, "int"});
    series.push_back("sev_" + s);
  }
  Section types("by_type", "Alerts by type and severity");
  types.columns(cols);
  for (const auto& [type, counts] : grid) {
    json row = json::array({type});
    for (const auto& s : severities) row.push_back(counts.count(s) ? counts.at(s) : 0);
    types.row(row);
  }
  types.chart("stacked_bar", "threat_type", series).empty_note("No alerts in this period.");
  add_section(doc, types);

  Section days("by_day", "Alerts over time");
  days.columns({{"day", "Day", "time"}, {"alerts", "Alerts", "int"}}).rows(c.repo.threats_by_day(c.period))
      .chart("time_series", "day", {"alerts"}).empty_note("No alerts in this period.");
  add_section(doc, days);

  Section talkers("top_talkers", "Top talkers", "Clients with the most DNS queries.");
  talkers.columns({{"client", "Client"}, {"queries", "Queries", "int"}, {"domains", "Distinct domains", "int"}})
      .rows(c.repo.threats_top_talkers(c.period, 10)).chart("bar", "client", {"queries"}).empty_note("No DNS events in this period.");
  add_section(doc, talkers);

  Section domains("top_domains", "Top domains");
  domains.columns({{"query", "Domain"}, {"queries", "Queries", "int"}, {"clients", "Clients", "int"}})
      .rows(c.repo.threats_top_domains(c.period, 10)).chart("bar", "query", {"queries"}).empty_note("No DNS events in this period.");
  add_section(doc, domains);

  Section devices("new_devices", "Devices first seen in the period");
  devices.columns({{"mac", "MAC"}, {"vendor", "Vendor"}, {"ips", "Addresses"}, {"hostnames", "Host names"}, {"first_seen", "First seen", "time"}})
      .rows(c.repo.threats_new_devices(c.period, c.request.limit)).empty_note("No new devices in this period.");
  add_section(doc, devices);

  Section evidence("alerts", "Alerts with evidence", "Highest score first.");
  evidence.columns({{"detected_at", "Detected", "time"}, {"threat_type", "Type"}, {"severity", "Severity"}, {"score", "Score", "int"},
                    {"indicator", "Indicator"}, {"src", "Source"}, {"dst", "Destination"}, {"status", "Status"}, {"evidence", "Evidence"}})
      .rows(c.repo.threats_alerts(c.period, c.request.limit)).empty_note("No alerts in this period.");
  add_section(doc, evidence);
}

void build_simulation(BuildContext& c, json& doc) {
  if (!require_data(c, doc, "simulate", {"causal_simulations", "plans"})) return;
  long long id = 0;
  if (!text::parse_int(c.request.subject, id) || id <= 0)
    throw DataError(SourceLocation{"", 0, 0, "RUN"}, "simulation run id '" + c.request.subject + "' is not a positive number");
  const auto rows = c.repo.simulation_run(id);
  if (rows.empty()) throw DataError(SourceLocation{"", 0, 0, "RUN"}, "simulation run " + c.request.subject + " does not exist for this tenant");
  const auto& run = rows[0];
  Section overview("overview", "Run");
  overview.fact("Run", run.integer("id")).fact("Created", run.text("created_at")).fact("Kind", run.text("kind"))
      .fact("Mode", run.text("mode")).fact("Method", run.text("method")).fact("Horizon (days)", run.integer("horizon_days"))
      .fact("Interventions", run.text("interventions")).fact("Engine", run.text("engine_version")).fact("Graph hash", run.text("graph_hash"));
  add_section(doc, overview);
  const json results = json::parse(run.text("results", "{}"), nullptr, false);
  const auto num = [](const json& o, const char* k) { return o.is_object() && o.contains(k) && o[k].is_number() ? o[k] : json(); };
  Section wf("waterfall", "Waterfall", "Contribution of each step to the change of the target metric.");
  wf.columns({{"label", "Step"}, {"value", "Change", "real"}});
  if (results.is_object() && results.contains("waterfall") && results["waterfall"].is_object()) {
    const auto& w = results["waterfall"];
    wf.fact("Target", w.value("target", std::string())).fact("Baseline", num(w, "baseline")).fact("Total change", num(w, "total"));
    for (const auto& b : w.value("bars", json::array()))
      if (b.is_object()) wf.row({b.value("label", std::string()), num(b, "value")});
  }
  wf.chart("waterfall", "label", {"value"}).empty_note("This run stored no waterfall.");
  add_section(doc, wf);

  // The days the run reported (--at and the horizon), as stored.
  std::vector<int64_t> days;
  if (results.is_object() && results.contains("days") && results["days"].is_array())
    for (const auto& d : results["days"])
      if (d.is_number_integer()) days.push_back(d.get<int64_t>());
  const json metrics = results.is_object() ? results.value("metrics", json::array()) : json::array();
  Section paths("metrics", "Per-metric paths", "Baseline, level on each reported day, steady state and change of every metric that moved.");
  std::vector<Column> pcols{{"metric", "Metric"}, {"unit", "Unit"}, {"baseline", "Baseline", "real"}};
  for (int64_t d : days) pcols.push_back({"day_" + std::to_string(d), "Day " + std::to_string(d), "real"});
  for (const Column& c : std::vector<Column>{{"steady", "Steady", "real"}, {"change", "Change", "real"}, {"change_pct", "Change %", "real"}})
    pcols.push_back(c);
  paths.columns(pcols);
  for (const auto& m : metrics) {
    if (!m.is_object()) continue;
    json row = json::array({m.value("metric", std::string()), m.value("unit", std::string()), num(m, "baseline")});
    for (int64_t d : days) row.push_back(num(m, ("day_" + std::to_string(d)).c_str()));
    for (const char* k : {"steady", "change", "change_pct"}) row.push_back(num(m, k));
    paths.row(row);
  }
  paths.chart("bar", "metric", {"change"}).empty_note("No metric moved.");
  add_section(doc, paths);

  // Monte Carlo (--samples N): the steady-state spread of every metric.
  bool sampled = false;
  for (const auto& m : metrics) sampled = sampled || (m.is_object() && m.contains("p50"));
  if (sampled) {
    Section mc("uncertainty", "Uncertainty (Monte Carlo)", "Percentiles of the change at steady state over the sampled "
               "coefficients, and the share of samples in which the metric rose or fell.");
    const json info = results.value("monte_carlo", json::object());
    if (info.is_object()) mc.fact("Samples", num(info, "samples")).fact("Failed samples", num(info, "failed"));
    mc.columns({{"metric", "Metric"}, {"p10", "Change P10", "real"}, {"p50", "Change P50", "real"}, {"p90", "Change P90", "real"},
                {"p_up", "P(up)", "real"}, {"p_down", "P(down)", "real"}});
    for (const auto& m : metrics)
      if (m.is_object() && m.contains("p50"))
        mc.row({m.value("metric", std::string()), num(m, "p10"), num(m, "p50"), num(m, "p90"), num(m, "p_up"), num(m, "p_down")});
    mc.empty_note("No sampled metric.");
    add_section(doc, mc);
  }

  Section plan("plan", "Plan chosen and its frontier", "The most recent initiative plan of this tenant.");
  plan.columns({{"budget", "Budget", "real"}, {"cost", "Cost", "real"}, {"value", "Value", "real"}, {"chosen", "Initiatives"}});
  const auto p = c.repo.simulation_latest_plan();
  if (!p.empty()) {
    plan.fact("Objective", p[0].text("objective")).fact("Chosen", p[0].text("chosen")).fact("Optimality", p[0].text("optimality"));
    const json frontier = json::parse(p[0].text("frontier", "[]"), nullptr, false);
    if (frontier.is_array())
      for (const auto& f : frontier)
        if (f.is_object())
          plan.row({num(f, "budget"), num(f, "cost"), num(f, "value"), f.contains("chosen") ? json(f["chosen"].dump()) : json()});
  }
  plan.empty_note("No plan stored, or its frontier is empty.");
  add_section(doc, plan);
}

void build_posture(BuildContext& c, json& doc) {
  if (!require_data(c, doc, "scan-endpoint", {"endpoints", "security_issues", "incidents"})) return;
  const auto endpoints = c.repo.posture_endpoints();
  const auto by_severity = c.repo.posture_open_by_severity();
  int64_t open = 0;
  for (const auto& r : by_severity) open += r.integer("open");
  const auto incidents = c.repo.posture_open_incidents(c.request.limit);

  Section overview("overview", "Overview");
  overview.fact("Endpoints", static_cast<int64_t>(endpoints.size())).fact("Open issues", open).fact("Open incidents", static_cast<int64_t>(incidents.size()));
  add_section(doc, overview);

  Section grades("endpoints", "Grade per endpoint", "Grade and score of the last scan (score 0-100, higher is better).");
  grades.columns({{"name", "Endpoint"}, {"kind", "Kind"}, {"host", "Host"}, {"grade", "Grade"}, {"score", "Score", "int"},
                  {"tls_grade", "TLS"}, {"status", "Status"}, {"last_scanned_at", "Last scan", "time"}})
      .rows(endpoints)
      .sort_rows({{0, false}})
      .chart("bar", "name", {"score"})
      .empty_note("No endpoints scanned yet.");
  add_section(doc, grades);

  Section sev("open_by_severity", "Open issues by severity");
  sev.columns({{"severity", "Severity"}, {"open", "Open", "int"}}).rows(by_severity).chart("bar", "severity", {"open"})
      .empty_note("No open issues.");
  add_section(doc, sev);

  // Controls are free text per issue ("SOC 2 CC6.1; PCI DSS 6.4.3"); count the
  // frameworks the report is asked about.
  static const std::pair<const char*, const char*> frameworks[] = {
      {"SOC 2", "soc"}, {"HIPAA", "hipaa"}, {"GDPR", "gdpr"}, {"PCI DSS", "pci"}};
  std::map<std::string, std::array<int64_t, 3>> per;  // framework -> critical/high, medium, low/info
  for (const auto& r : c.repo.posture_open_controls()) {
    const std::string controls = text::lower(r.text("controls"));
    const std::string s = text::lower(r.text("severity"));
    const int band = (s == "critical" || s == "high") ? 0 : s == "medium" ? 1 : 2;
    for (const auto& [name, key] : frameworks)
      if (controls.find(key) != std::string::npos) ++per[name][band];
  }
  Section controls("open_by_control", "Open issues by control framework", "An issue counts once for every framework it maps to.");
  controls.columns({{"framework", "Framework"}, {"high", "Critical/high", "int"}, {"medium", "Medium", "int"}, {"low", "Low/info", "int"}});
  for (const auto& [name, key] : frameworks)
    if (per.count(name)) controls.row({name, per[name][0], per[name][1], per[name][2]});
  controls.chart("stacked_bar", "framework", {"high", "medium", "low"}).empty_note("No open issue maps to SOC 2, HIPAA, GDPR or PCI DSS.");
  add_section(doc, controls);

  Section issues("open_issues", "Open issues", "Most severe first, then oldest.");
  issues.columns({{"endpoint", "Endpoint"}, {"severity", "Severity"}, {"rule", "Rule"}, {"title", "Title"}, {"controls", "Controls"},
                  {"first_seen_at", "Open since", "time"}})
      .rows(c.repo.posture_open_issues(c.request.limit))
      .empty_note("No open issues.");
  add_section(doc, issues);

  Section fixed("fixed", "Fixed in the period");
  fixed.columns({{"endpoint", "Endpoint"}, {"severity", "Severity"}, {"rule", "Rule"}, {"title", "Title"}, {"closed_at", "Fixed", "time"}})
      .rows(c.repo.posture_fixed(c.period, c.request.limit))
      .empty_note("Nothing fixed in this period.");
  add_section(doc, fixed);

  if (c.repo.has_table("endpoint_scan_history")) {
    // scan-endpoint writes one history row per endpoint per scan.
    Section trend("trend", "Grade trend per endpoint", "First and last scan of each endpoint in the period; change is the score "
                  "difference (higher is better).");
    trend.columns({{"endpoint", "Endpoint"}, {"kind", "Kind"}, {"scans", "Scans", "int"}, {"first_at", "First scan", "time"},
                   {"first_grade", "Grade then"}, {"first_score", "Score then", "int"}, {"last_at", "Last scan", "time"},
                   {"last_grade", "Grade now"}, {"last_score", "Score now", "int"}, {"change", "Change", "int"}, {"trend", "Trend"},
                   {"open_issues", "Open issues", "int"}});
    int64_t better = 0, worse = 0;
    for (const auto& r : c.repo.posture_trend(c.period)) {
      json change, word = "unchanged";
      if (!r.is_null("first_score") && !r.is_null("last_score")) {
        const int64_t d = r.integer("last_score") - r.integer("first_score");
        change = d;
        word = r.integer("scans") < 2 ? "one scan" : d > 0 ? "better" : d < 0 ? "worse" : "unchanged";
        better += d > 0;
        worse += d < 0;
      } else if (r.integer("scans") < 2) {
        word = "one scan";
      }
      const auto opt_int = [&](const char* k) { return r.is_null(k) ? json() : json(r.integer(k)); };
      const auto opt_text = [&](const char* k) { return r.is_null(k) ? json() : json(r.text(k)); };
      trend.row({r.text("endpoint"), r.text("kind"), r.integer("scans"), r.text("first_at"), opt_text("first_grade"),
                 opt_int("first_score"), r.text("last_at"), opt_text("last_grade"), opt_int("last_score"), change, word,
                 r.integer("last_open_issues")});
    }
    trend.fact("Better", better).fact("Worse", worse);
    trend.chart("bar", "endpoint", {"change"}).empty_note("No scans recorded in this period.");
    add_section(doc, trend);
    add_section(doc, daily_scores("score_history", "Endpoint scores over time",
                                  "The last score of each web or API endpoint per day (0-100, higher is better).",
                                  c.repo.posture_daily_scores(c.period, false), "No web endpoint scanned in this period."));
    add_section(doc, daily_scores("hardening", "Host hardening index over time",
                                  "The hardening index of each audited host per day (its last audit of the day).",
                                  c.repo.posture_daily_scores(c.period, true), "No host audited in this period."));
  }

  Section inc("incidents", "Open incidents", "Device incidents not yet resolved, highest score first.");
  inc.columns({{"incident_key", "Incident"}, {"device_id", "Device"}, {"opened_at", "Opened", "time"}, {"status", "Status"},
               {"max_score", "Max score", "real"}, {"event_count", "Events", "int"}, {"summary", "Summary"}})
      .rows(incidents)
      .empty_note("No open incidents.");
  add_section(doc, inc);
}

namespace {

struct TableSpec {
  const char* table;
  const char* area;
  const char* time_col;
  const char* key_expr;
  std::vector<std::string> required;
};

// The tables report knows, with their freshness column, natural key and key
// text fields. A table absent from this database is skipped.
const std::vector<TableSpec>& table_catalogue() {
  static const std::vector<TableSpec> all = {
      {"job_runs", "ledger", "started_at", "id", {"tool", "status"}},
      {"audit_log", "ledger", "at", "seq", {"actor", "action", "hash"}},
      {"sanctions_lists", "screening", "loaded_at", "list || '|' || sha256", {"list", "source", "sha256"}},
      {"transactions", "screening", "screened_at", "id", {"counterparty", "sanctions_status"}},
      {"screening_matches", "screening", "updated_at", "subject_id || '|' || list || '|' || entity_uid", {"subject_name", "status"}},
      {"endpoints", "posture", "last_scanned_at", "name", {"host", "grade"}},
      {"security_issues", "posture", "last_seen_at", "endpoint || '|' || rule", {"severity", "controls"}},
      {"incidents", "posture", "last_event_at", "incident_key", {"device_id", "summary"}},
      {"report_runs", "report", "generated_at", "id", {"kind", "sha256"}},
  };
  return all;
}

}  // namespace

void build_lineage(BuildContext& c, json& doc) {
  Section quality("quality", "Data quality per table",
                  "Rows of this tenant; incomplete = rows with an empty key field; duplicates = rows sharing a natural key; "
                  "freshness = the newest timestamp.");
  quality.columns({{"table", "Table"}, {"area", "Area"}, {"rows", "Rows", "int"}, {"complete_pct", "Complete %", "real"},
                   {"incomplete", "Incomplete", "int"}, {"duplicates", "Duplicates", "int"}, {"oldest", "Oldest", "time"},
                   {"newest", "Newest", "time"}, {"age_days", "Age (days)", "real"}});
  int64_t total = 0;
  for (const auto& t : table_catalogue()) {
    if (!c.repo.has_table(t.table)) continue;
    Repository::TableQuality q;
    try {
      q = c.repo.table_quality(t.table, t.time_col, t.key_expr, t.required);
    } catch (const DatabaseError& e) {
      add_note(doc, std::string("Table ") + t.table + " could not be checked: " + e.what());
      continue;
    }
    if (q.rows == 0) continue;
    total += q.rows;
    const double age = seconds_between(q.newest, c.request.now);
    quality.row({t.table, t.area, q.rows, 100.0 * static_cast<double>(q.rows - q.incomplete) / static_cast<double>(q.rows),
                 q.incomplete, q.duplicates, q.oldest.empty() ? json() : json(q.oldest), q.newest.empty() ? json() : json(q.newest),
                 age < 0 ? json() : json(age / 86400.0)});
  }
  quality.chart("bar", "table", {"rows"}).empty_note("No rows in any table yet.");
  if (total == 0) no_data(doc, "No data yet for this report: run the tools for this tenant first.");

  Section sources("sources", "Where the rows came from", "Finished runs per tool and command in the period, with the arguments "
                  "(input files, secrets redacted) of the latest one.");
  sources.columns({{"tool", "Tool"}, {"subcommand", "Command"}, {"runs", "Runs", "int"}, {"last_started", "Last run", "time"},
                   {"last_arguments", "Latest arguments"}})
      .rows(c.repo.lineage_sources(c.period))
      .sort_rows({{0, false}, {1, false}})
      .empty_note("No runs in this period.");
  add_section(doc, sources);
  add_section(doc, quality);

  if (c.repo.has_table("sanctions_lists") && c.repo.count_rows("sanctions_lists") > 0) {
    Section lists("list_versions", "Sanctions list versions", "Every version loaded, newest first per list, with its SHA-256.");
    lists.columns({{"list", "List"}, {"source", "Source"}, {"published", "Published", "time"}, {"sha256", "SHA-256"},
                   {"loaded_at", "Loaded", "time"}, {"entity_count", "Entities", "int"}, {"active", "Active", "int"}});
    try {
      lists.rows(c.repo.lineage_list_versions());
    } catch (const DatabaseError& e) {
      add_note(doc, std::string("Sanctions list versions could not be read: ") + e.what());
    }
    lists.empty_note("No list loaded yet.");
    add_section(doc, lists);
  }
}

}  // namespace opskit::report::detail
