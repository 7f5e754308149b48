-- scan-endpoint: web endpoints and devices, their security issues with
-- open/closed history, header/script baselines (PCI DSS 11.6.1), the host
-- allow-list, device telemetry with learned baselines, and incidents.
CREATE TABLE endpoints (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  grade TEXT,
  score INTEGER,
  tls_grade TEXT,
  final_url TEXT,
  http_status INTEGER,
  details TEXT,
  first_seen_at TEXT NOT NULL,
  last_scanned_at TEXT NOT NULL,
  last_run_id BIGINT,
  {{serial_key}}
);
CREATE UNIQUE INDEX endpoints_by_name ON endpoints (tenant_id, name);
{{rls endpoints}}

CREATE TABLE security_issues (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  title TEXT NOT NULL,
  evidence TEXT NOT NULL,
  controls TEXT NOT NULL,
  status TEXT NOT NULL,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  closed_at TEXT,
  times_reopened INTEGER NOT NULL,
  {{serial_key}}
);
CREATE UNIQUE INDEX security_issues_by_key ON security_issues (tenant_id, endpoint, rule);
CREATE INDEX security_issues_by_status ON security_issues (tenant_id, status, severity);
{{rls security_issues}}

CREATE TABLE security_issue_history (
  tenant_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  rule TEXT NOT NULL,
  at TEXT NOT NULL,
  event TEXT NOT NULL,
  run_id BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, endpoint, rule, at, event)
);
{{rls security_issue_history}}

CREATE TABLE endpoint_baselines (
  tenant_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, endpoint, kind, name)
);
{{rls endpoint_baselines}}

CREATE TABLE scan_allowed_hosts (
  tenant_id TEXT NOT NULL,
  pattern TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, pattern)
);
{{rls scan_allowed_hosts}}

CREATE TABLE endpoint_events (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  event_key TEXT NOT NULL,
  device_id TEXT NOT NULL,
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  subject TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  incident_id BIGINT,
  details TEXT NOT NULL,
  {{serial_key}}
);
CREATE UNIQUE INDEX endpoint_events_by_key ON endpoint_events (tenant_id, event_key);
CREATE INDEX endpoint_events_by_device ON endpoint_events (tenant_id, device_id, at);
{{rls endpoint_events}}

CREATE TABLE telemetry_baselines (
  tenant_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  feature TEXT NOT NULL,
  value TEXT NOT NULL,
  count BIGINT NOT NULL,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, device_id, feature, value)
);
{{rls telemetry_baselines}}

CREATE TABLE incidents (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  incident_key TEXT NOT NULL,
  device_id TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  last_event_at TEXT NOT NULL,
  status TEXT NOT NULL,
  max_score DOUBLE PRECISION NOT NULL,
  event_count INTEGER NOT NULL,
  summary TEXT NOT NULL,
  evidence TEXT NOT NULL,
  resolved_at TEXT,
  resolution TEXT,
  {{serial_key}}
);
CREATE UNIQUE INDEX incidents_by_key ON incidents (tenant_id, incident_key);
{{rls incidents}}
