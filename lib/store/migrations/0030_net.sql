-- capture: DNS transactions, threat alerts with evidence, the device
-- inventory, per-host outbound history (exfiltration baseline), the
-- tenant's indicator lists and allow-list.
CREATE TABLE dns_events (
  tenant_id TEXT NOT NULL,
  capture_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  ts TEXT NOT NULL,
  client TEXT NOT NULL,
  client_port INTEGER NOT NULL,
  server TEXT NOT NULL,
  server_port INTEGER NOT NULL,
  proto TEXT NOT NULL,
  service TEXT NOT NULL,
  trans_id INTEGER NOT NULL,
  query TEXT NOT NULL,
  qtype INTEGER NOT NULL,
  qtype_name TEXT NOT NULL,
  rcode INTEGER,
  rcode_name TEXT,
  answers TEXT NOT NULL,
  rtt DOUBLE PRECISION,
  run_id BIGINT,
  PRIMARY KEY (tenant_id, capture_id, seq)
);
CREATE INDEX dns_events_by_query ON dns_events (tenant_id, query);
CREATE INDEX dns_events_by_ts ON dns_events (tenant_id, ts);
{{rls dns_events}}

CREATE TABLE threat_intelligence (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  alert_key TEXT NOT NULL,
  threat_type TEXT NOT NULL,
  indicator TEXT NOT NULL,
  src TEXT NOT NULL,
  dst TEXT NOT NULL,
  score INTEGER NOT NULL,
  severity TEXT NOT NULL,
  evidence TEXT NOT NULL,
  status TEXT NOT NULL,
  capture_id TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  detected_at TEXT NOT NULL,
  run_id BIGINT,
  {{serial_key}}
);
CREATE UNIQUE INDEX threat_intelligence_by_key ON threat_intelligence (tenant_id, capture_id, alert_key);
CREATE INDEX threat_intelligence_by_severity ON threat_intelligence (tenant_id, severity, status);
{{rls threat_intelligence}}

CREATE TABLE network_devices (
  tenant_id TEXT NOT NULL,
  mac TEXT NOT NULL,
  vendor TEXT NOT NULL,
  ips TEXT NOT NULL,
  hostnames TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  PRIMARY KEY (tenant_id, mac)
);
{{rls network_devices}}

CREATE TABLE net_host_history (
  tenant_id TEXT NOT NULL,
  host TEXT NOT NULL,
  capture_id TEXT NOT NULL,
  outbound_bytes BIGINT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  PRIMARY KEY (tenant_id, host, capture_id)
);
{{rls net_host_history}}

CREATE TABLE net_indicators (
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  source TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind, value)
);
{{rls net_indicators}}

CREATE TABLE net_allowlist (
  tenant_id TEXT NOT NULL,
  pattern TEXT NOT NULL,
  note TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, pattern)
);
{{rls net_allowlist}}
