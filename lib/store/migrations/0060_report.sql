-- report: one row per rendered report (what was asked, what came out), so a
-- report handed to an auditor can be traced back to its run and its bytes.
CREATE TABLE report_runs (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  run_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  format TEXT NOT NULL,
  period_since TEXT NOT NULL,
  period_until TEXT NOT NULL,
  generated_at TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  output TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  {{serial_key}}
);
CREATE INDEX report_runs_by_kind ON report_runs (tenant_id, kind, generated_at);
{{rls report_runs}}
