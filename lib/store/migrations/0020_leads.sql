-- leads (score-leads): leads with their source fields, outcome and latest
-- score; versioned models; drift records; RFM customer segments.
CREATE TABLE leads (
  tenant_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  fields TEXT NOT NULL,
  fields_hash TEXT NOT NULL,
  outcome INTEGER,
  occurred_at TEXT,
  source TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  status TEXT NOT NULL,
  score INTEGER,
  probability DOUBLE PRECISION,
  model_version TEXT,
  reasons TEXT,
  scored_hash TEXT,
  scored_at TEXT,
  PRIMARY KEY (tenant_id, external_id)
);
CREATE INDEX leads_by_score ON leads (tenant_id, score);
{{rls leads}}

CREATE TABLE lead_models (
  tenant_id TEXT NOT NULL,
  version TEXT NOT NULL,
  kind TEXT NOT NULL,
  spec_name TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  data_hash TEXT NOT NULL,
  training_rows BIGINT NOT NULL,
  metrics TEXT NOT NULL,
  model TEXT NOT NULL,
  created_at TEXT NOT NULL,
  promoted INTEGER NOT NULL,
  promoted_at TEXT,
  PRIMARY KEY (tenant_id, version)
);
{{rls lead_models}}

CREATE TABLE lead_drift (
  tenant_id TEXT NOT NULL,
  run_at TEXT NOT NULL,
  model_version TEXT NOT NULL,
  feature TEXT NOT NULL,
  psi DOUBLE PRECISION NOT NULL,
  scored_rows BIGINT NOT NULL,
  level TEXT NOT NULL,
  PRIMARY KEY (tenant_id, run_at, model_version, feature)
);
{{rls lead_drift}}

CREATE TABLE customer_segments (
  tenant_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  recency_days DOUBLE PRECISION NOT NULL,
  frequency BIGINT NOT NULL,
  monetary DOUBLE PRECISION NOT NULL,
  r_score INTEGER NOT NULL,
  f_score INTEGER NOT NULL,
  m_score INTEGER NOT NULL,
  cluster INTEGER NOT NULL,
  segment TEXT NOT NULL,
  computed_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, customer_id)
);
{{rls customer_segments}}
