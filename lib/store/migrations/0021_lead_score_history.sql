-- leads (score-leads): every change of a lead's score, one row per
-- scoring that moved it, so reports can show the top movers.
CREATE TABLE lead_score_history (
  tenant_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  scored_at TEXT NOT NULL,
  model_version TEXT NOT NULL,
  score INTEGER NOT NULL,
  previous_score INTEGER,
  run_id BIGINT,
  PRIMARY KEY (tenant_id, external_id, scored_at, model_version)
);
CREATE INDEX lead_score_history_by_time ON lead_score_history (tenant_id, scored_at);
{{rls lead_score_history}}
