-- simulate: the causal graph (metrics + edges), metric history, stored
-- what-if runs, business initiatives and plans.
CREATE TABLE causal_metrics (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  baseline DOUBLE PRECISION NOT NULL,
  min_value DOUBLE PRECISION,
  max_value DOUBLE PRECISION,
  description TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
{{rls causal_metrics}}

CREATE TABLE causal_relationships (
  tenant_id TEXT NOT NULL,
  cause TEXT NOT NULL,
  effect TEXT NOT NULL,
  lag_days INTEGER NOT NULL,
  kind TEXT NOT NULL,
  coefficient DOUBLE PRECISION NOT NULL,
  confidence DOUBLE PRECISION NOT NULL,
  stddev DOUBLE PRECISION NOT NULL,
  source TEXT NOT NULL,
  fit_r2 DOUBLE PRECISION,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, cause, effect, lag_days)
);
{{rls causal_relationships}}

CREATE TABLE metric_history (
  tenant_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  day TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (tenant_id, metric, day)
);
{{rls metric_history}}

CREATE TABLE causal_simulations (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  kind TEXT NOT NULL,
  seed BIGINT NOT NULL,
  mode TEXT NOT NULL,
  method TEXT NOT NULL,
  horizon_days INTEGER NOT NULL,
  report_days TEXT NOT NULL,
  samples INTEGER NOT NULL,
  engine_version TEXT NOT NULL,
  graph_hash TEXT NOT NULL,
  interventions TEXT NOT NULL,
  results TEXT NOT NULL,
  run_id BIGINT,
  {{serial_key}}
);
CREATE INDEX causal_simulations_by_time ON causal_simulations (tenant_id, created_at);
{{rls causal_simulations}}

CREATE TABLE business_initiatives (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  cost DOUBLE PRECISION NOT NULL,
  duration_days INTEGER NOT NULL,
  interventions TEXT NOT NULL,
  prerequisites TEXT NOT NULL,
  exclusive_group TEXT NOT NULL,
  description TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
{{rls business_initiatives}}

CREATE TABLE plans (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  objective TEXT NOT NULL,
  budget DOUBLE PRECISION NOT NULL,
  chosen TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  cost DOUBLE PRECISION NOT NULL,
  optimality TEXT NOT NULL,
  frontier TEXT NOT NULL,
  engine_version TEXT NOT NULL,
  graph_hash TEXT NOT NULL,
  {{serial_key}}
);
{{rls plans}}
