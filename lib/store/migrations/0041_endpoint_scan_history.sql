-- scan-endpoint: one row per endpoint per scan, so reports can draw the
-- grade trend of a web endpoint and the hardening index of a host over time.
CREATE TABLE endpoint_scan_history (
  tenant_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  kind TEXT NOT NULL,
  scanned_at TEXT NOT NULL,
  status TEXT NOT NULL,
  grade TEXT,
  score INTEGER,
  tls_grade TEXT,
  open_issues INTEGER NOT NULL,
  run_id BIGINT,
  PRIMARY KEY (tenant_id, endpoint, scanned_at)
);
CREATE INDEX endpoint_scan_history_by_time ON endpoint_scan_history (tenant_id, scanned_at);
{{rls endpoint_scan_history}}
