-- Foundation: tenants, job-run ledger, job locks, audit log.
-- Tokens expanded per backend: {{serial}}, {{serial_key}}, {{rls TABLE}}; see migrations.cpp.
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE job_runs (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  subcommand TEXT NOT NULL,
  arguments TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,
  exit_code INTEGER,
  counts TEXT,
  message TEXT,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  {{serial_key}}
);
CREATE INDEX job_runs_by_tool ON job_runs (tenant_id, tool, started_at);
{{rls job_runs}}

CREATE TABLE job_locks (
  tenant_id TEXT NOT NULL,
  job TEXT NOT NULL,
  run_id BIGINT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  acquired_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, job)
);
{{rls job_locks}}

CREATE TABLE audit_log (
  tenant_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
{{rls audit_log}}
