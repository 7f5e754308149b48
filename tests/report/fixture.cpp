#include "fixture.hpp"

#include "store/ledger.hpp"

namespace report_test {
using namespace opskit;

std::unique_ptr<store::Database> filled_database(const std::string& url) {
  auto db = store::Database::open(url);
  db->add_tenant("acme", "Acme");
  db->add_tenant("globex", "Globex");
  {
    auto s = db->session("acme");
    store::Ledger ledger(*s);
    struct Run {
      const char* tool;
      const char* sub;
      const char* start;
      const char* end;
      int exit;
      const char* counts;
      const char* message;
    };
    const Run runs[] = {
        {"screen", "lists update", "2026-11-17T01:00:00Z", "2026-11-17T01:00:30Z", 0, R"({"entities":1200})", ""},
        {"screen", "batch", "2026-11-17T02:00:00Z", "2026-11-17T02:00:05Z", 1, R"({"rows":500,"matches":3})", ""},
        {"screen", "batch", "2026-11-18T02:00:00Z", "2026-11-18T02:00:01Z", 3, R"({"rows":0})", kFormula},
        {"capture", "read", "2026-11-18T03:00:00Z", "2026-11-18T03:02:00Z", 0, R"({"packets":10000,"dns":420})", ""},
        {"capture", "read", "2026-11-19T03:00:00Z", "2026-11-19T03:00:00Z", 4, "{}", "database is locked"},
        {kHostile, "run", "2026-11-19T04:00:00Z", "2026-11-19T04:20:00Z", 0, R"({"rows":7})", kHostile},
    };
    for (const auto& r : runs) {
      auto id = ledger.start(r.tool, r.sub, "--tenant acme", r.start, "host1", 100);
      ledger.finish(id, r.end, r.exit == 0 ? "ok" : r.exit == 1 ? "findings" : "failed", r.exit, {}, r.message);
      // counts as the tool recorded them (the ledger API takes a map; keep the JSON exact)
      s->exec("UPDATE job_runs SET counts = $2 WHERE tenant_id = $1 AND id = $3", {std::string(r.counts), id});
    }
    const char* times[] = {"2026-11-17T01:00:31Z", "2026-11-17T02:00:06Z", "2026-11-18T02:00:02Z", "2026-11-19T04:20:01Z",
                           "2026-11-19T05:00:00Z"};
    const char* actions[] = {"lists.update", "match.decide", "match.decide", "lead.import", "match.decide"};
    for (int i = 0; i < kAcmeAudit; ++i) {
      std::string at = times[i];
      s->set_clock_iso([at] { return at; });
      s->audit(i == 3 ? kHostile : "analyst@acme", actions[i], "match", "m-" + std::to_string(i + 1), R"({"note":"ok"})");
    }
  }
  {
    // Posture rows as scan-endpoint stores them (test-only SQL; the scanner
    // itself needs live endpoints).
    auto s = db->session("acme");
    s->exec("INSERT INTO endpoints (tenant_id, name, kind, host, port, status, grade, score, tls_grade, first_seen_at, last_scanned_at) VALUES "
            "($1, 'shop', 'web', 'shop.example', 443, 'ok', 'B', 72, 'A', '2026-11-01T00:00:00Z', '2026-11-19T06:00:00Z'), "
            "($1, $2, 'web', 'evil.example', 443, 'ok', 'F', 10, NULL, '2026-11-01T00:00:00Z', '2026-11-19T06:00:00Z')",
            {std::string(kHostile)});
    s->exec("INSERT INTO security_issues (tenant_id, endpoint, rule, severity, title, evidence, controls, status, first_seen_at, last_seen_at, closed_at, times_reopened) VALUES "
            "($1, 'shop', 'hsts-missing', 'high', 'No HSTS', '{}', 'SOC 2 CC6.7; PCI DSS 4.2.1', 'open', '2026-11-02T00:00:00Z', '2026-11-19T06:00:00Z', NULL, 0), "
            "($1, 'shop', 'csp-missing', 'medium', 'No CSP', '{}', 'PCI DSS 6.4.3', 'open', '2026-11-03T00:00:00Z', '2026-11-19T06:00:00Z', NULL, 0), "
            "($1, $2, 'cookie-insecure', 'low', $3, '{}', 'GDPR Art. 32; HIPAA 164.312', 'open', '2026-11-04T00:00:00Z', '2026-11-19T06:00:00Z', NULL, 1), "
            "($1, 'shop', 'tls-old', 'critical', 'TLS 1.0 enabled', '{}', 'PCI DSS 4.2.1', 'closed', '2026-11-01T00:00:00Z', '2026-11-10T00:00:00Z', '2026-11-10T00:00:00Z', 0)",
            {std::string(kHostile), std::string(kFormula)});
    s->exec("INSERT INTO incidents (tenant_id, incident_key, device_id, opened_at, last_event_at, status, max_score, event_count, summary, evidence) VALUES "
            "($1, 'inc-1', 'laptop-7', '2026-11-18T09:00:00Z', '2026-11-18T09:30:00Z', 'open', 0.93, 4, 'new admin tool and outbound to rare domain', '[]'), "
            "($1, 'inc-0', 'laptop-2', '2026-11-10T09:00:00Z', '2026-11-10T09:30:00Z', 'resolved', 0.5, 2, 'resolved one', '[]')");
    s->exec("UPDATE incidents SET resolved_at = '2026-11-11T00:00:00Z' WHERE tenant_id = $1 AND incident_key = 'inc-0'");
  }
  {
    // Screening, leads, threats and simulation rows as their tools store
    // them (test-only SQL, so these kinds are exercised on both backends).
    auto s = db->session("acme");
    s->exec("INSERT INTO sanctions_lists (tenant_id, list, source, published, sha256, loaded_at, entity_count, name_count, skipped, active) VALUES "
            "($1, 'OFAC-SDN', 'https://example.invalid/sdn.xml', '2026-11-15', 'aaa111', '2026-11-17T01:00:30Z', 1200, 3000, 0, 1), "
            "($1, 'UN', 'un.xml', '2026-11-10', 'bbb222', '2026-11-17T01:00:31Z', 800, 1500, 2, 1)");
    s->exec("INSERT INTO transactions (tenant_id, id, kind, date, amount, currency, counterparty, country, source, sanctions_status, "
            "compliance_score, screened_at, lists_hash) VALUES "
            "($1, 'cust-1', 'customer', '2026-11-17', NULL, NULL, 'Ivan Petrov', 'RU', 'customers.csv', 'review', 0.91, '2026-11-17T02:00:01Z', 'h1'), "
            "($1, 'tx-9', 'transaction', '2026-11-17', 950.5, 'EUR', $2, 'FR', 'tx.csv', 'clear', 0.1, '2026-11-17T02:00:02Z', 'h1'), "
            "($1, 'tx-10', 'transaction', '2026-11-18', 12.0, 'EUR', 'Acme Ltd', 'GB', 'tx.csv', 'clear', 0.0, '2026-11-18T02:00:02Z', 'h1')",
            {std::string(kFormula)});
    s->exec("INSERT INTO screening_matches (tenant_id, subject_id, subject_name, list, entity_uid, entity_name, matched_name, score, status, "
            "explanation, list_version, config_hash, created_at, updated_at, review_status, reviewed_by, reviewed_at, review_note) VALUES "
            "($1, 'cust-1', 'Ivan Petrov', 'OFAC-SDN', 'sdn-42', 'PETROV, Ivan', 'Ivan Petrov', 0.97, 'match', 'token overlap 2/2; dob match', "
            "1, 'cfg', '2026-11-17T02:00:01Z', '2026-11-17T02:00:01Z', 'pending', NULL, NULL, NULL), "
            "($1, 'cust-1', 'Ivan Petrov', 'UN', 'un-7', 'PETROV Ivan Ivanovich', 'Ivan Petrov', 0.88, 'match', 'token overlap 2/3', "
            "2, 'cfg', '2026-11-17T02:00:01Z', '2026-11-18T09:00:00Z', 'false_positive', 'analyst@acme', '2026-11-18T09:00:00Z', $2)",
            {std::string(kHostile)});
    s->exec("INSERT INTO screening_reviews (tenant_id, match_id, decision, note, actor, decided_at) VALUES "
            "($1, 2, 'false_positive', 'different date of birth', 'analyst@acme', '2026-11-18T09:00:00Z')");
    s->exec("INSERT INTO leads (tenant_id, external_id, fields, fields_hash, outcome, occurred_at, source, imported_at, status, score, probability, "
            "model_version, reasons, scored_hash, scored_at) VALUES "
            "($1, 'L1', '{}', 'f1', 1, '2026-11-01', 'crm.csv', '2026-11-17T00:00:00Z', 'won', 91, 0.9, 'm1', 'visits', 'f1', '2026-11-17T00:00:00Z'), "
            "($1, 'L2', '{}', 'f2', 0, '2026-11-01', 'crm.csv', '2026-11-17T00:00:00Z', 'lost', 35, 0.3, 'm1', 'few visits', 'f2', '2026-11-17T00:00:00Z'), "
            "($1, $2, '{}', 'f3', NULL, NULL, 'crm.csv', '2026-11-17T00:00:00Z', 'open', 84, 0.8, 'm1', $3, 'f3', '2026-11-17T00:00:00Z')",
            {std::string(kHostile), std::string(kFormula)});
    s->exec("INSERT INTO lead_models (tenant_id, version, kind, spec_name, spec_hash, data_hash, training_rows, metrics, model, created_at, promoted, promoted_at) VALUES "
            "($1, 'm1', 'logistic', 'default', 's', 'd', 1000, '{\"auc\":0.81,\"brier\":0.12}', '{}', '2026-11-16T00:00:00Z', 1, '2026-11-16T00:00:00Z')");
    s->exec("INSERT INTO lead_drift (tenant_id, run_at, model_version, feature, psi, scored_rows, level) VALUES "
            "($1, '2026-11-17T00:00:00Z', 'm1', 'visits', 0.31, 3, 'alert'), ($1, '2026-11-17T00:00:00Z', 'm1', 'country', 0.02, 3, 'ok')");
    s->exec("INSERT INTO dns_events (tenant_id, capture_id, seq, ts, client, client_port, server, server_port, proto, service, trans_id, query, "
            "qtype, qtype_name, answers) VALUES "
            "($1, 'c1', 1, '2026-11-18T03:00:00Z', '10.0.0.5', 5353, '10.0.0.1', 53, 'udp', 'dns', 1, 'example.com', 1, 'A', '[]'), "
            "($1, 'c1', 2, '2026-11-18T03:00:01Z', '10.0.0.5', 5353, '10.0.0.1', 53, 'udp', 'dns', 2, $2, 1, 'A', '[]'), "
            "($1, 'c1', 3, '2026-11-18T03:00:02Z', '10.0.0.7', 5353, '10.0.0.1', 53, 'udp', 'dns', 3, 'example.com', 1, 'A', '[]')",
            {std::string(kHostile)});
    s->exec("INSERT INTO threat_intelligence (tenant_id, alert_key, threat_type, indicator, src, dst, score, severity, evidence, status, capture_id, "
            "first_seen, last_seen, detected_at) VALUES "
            "($1, 'a1', 'dga', $2, '10.0.0.5', '10.0.0.1', 88, 'high', 'entropy 4.1', 'open', 'c1', '2026-11-18T03:00:01Z', '2026-11-18T03:00:01Z', '2026-11-18T03:02:00Z'), "
            "($1, 'a2', 'beacon', '203.0.113.9', '10.0.0.7', '203.0.113.9', 55, 'medium', 'period 60s', 'open', 'c1', '2026-11-18T03:00:02Z', '2026-11-18T03:00:02Z', '2026-11-18T03:02:00Z')",
            {std::string(kHostile)});
    s->exec("INSERT INTO network_devices (tenant_id, mac, vendor, ips, hostnames, first_seen, last_seen) VALUES "
            "($1, '00:11:22:33:44:55', 'Acme Devices', '10.0.0.5', 'laptop-7', '2026-11-18T03:00:00Z', '2026-11-18T03:00:01Z')");
    s->exec("INSERT INTO causal_simulations (tenant_id, created_at, kind, seed, mode, method, horizon_days, report_days, samples, engine_version, "
            "graph_hash, interventions, results) VALUES "
            "($1, '2026-11-19T00:00:00Z', 'what-if', 42, 'deterministic', 'exact', 90, '[30,90]', 0, 'sim-1', 'g1', '[\"price=-5%\"]', $2)",
            {std::string(R"({"days":[30,90],"metrics":[{"metric":"revenue","unit":"EUR","baseline":1000,"steady":1040,"change":40,"change_pct":4},)"
                         R"({"metric":"churn","unit":"%","baseline":5,"steady":4.5,"change":-0.5,"change_pct":-10}],"notes":[],)"
                         R"("waterfall":{"target":"revenue","by":"path","baseline":1000,"total":40,"bars":[{"label":"price","value":-10},{"label":"volume","value":50}]}})")});
    s->exec("INSERT INTO plans (tenant_id, created_at, objective, budget, chosen, value, cost, optimality, frontier, engine_version, graph_hash) VALUES "
            "($1, '2026-11-19T01:00:00Z', 'revenue', 100, '[\"ads\"]', 40, 80, 'optimal', "
            "'[{\"budget\":50,\"cost\":0,\"value\":0,\"chosen\":[]},{\"budget\":100,\"cost\":80,\"value\":40,\"chosen\":[\"ads\"]}]', 'sim-1', 'g1')");
  }
  {
    auto s = db->session("globex");
    store::Ledger ledger(*s);
    auto id = ledger.start("screen", "batch", "", "2026-11-18T00:00:00Z", "host2", 1);
    ledger.finish(id, "2026-11-18T00:00:09Z", "failed", 5, {}, "globex only");
  }
  return db;
}

}  // namespace report_test
