-- screen: sanctions list versions and entities, screened subjects
-- (transactions, customers, counterparties), matches with explanations,
-- review decisions, allow-list, rescreen changes.
CREATE TABLE sanctions_lists (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  list TEXT NOT NULL,
  source TEXT NOT NULL,
  published TEXT,
  sha256 TEXT NOT NULL,
  loaded_at TEXT NOT NULL,
  entity_count BIGINT NOT NULL,
  name_count BIGINT NOT NULL,
  skipped BIGINT NOT NULL,
  active INTEGER NOT NULL,
  {{serial_key}}
);
CREATE UNIQUE INDEX sanctions_lists_natural ON sanctions_lists (tenant_id, list, sha256);
{{rls sanctions_lists}}

CREATE TABLE sanctions_entities (
  tenant_id TEXT NOT NULL,
  list_version BIGINT NOT NULL,
  list TEXT NOT NULL,
  uid TEXT NOT NULL,
  type TEXT NOT NULL,
  primary_name TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY (tenant_id, list_version, uid)
);
{{rls sanctions_entities}}

CREATE TABLE transactions (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  date TEXT,
  amount DOUBLE PRECISION,
  currency TEXT,
  counterparty TEXT NOT NULL,
  country TEXT,
  dob TEXT,
  entity_type TEXT,
  source TEXT NOT NULL,
  sanctions_status TEXT NOT NULL,
  compliance_score DOUBLE PRECISION NOT NULL,
  screened_at TEXT NOT NULL,
  lists_hash TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX transactions_by_status ON transactions (tenant_id, sanctions_status);
{{rls transactions}}

CREATE TABLE screening_matches (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  subject_name TEXT NOT NULL,
  list TEXT NOT NULL,
  entity_uid TEXT NOT NULL,
  entity_name TEXT NOT NULL,
  matched_name TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  status TEXT NOT NULL,
  explanation TEXT NOT NULL,
  list_version BIGINT NOT NULL,
  config_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  review_status TEXT NOT NULL,
  reviewed_by TEXT,
  reviewed_at TEXT,
  review_note TEXT,
  {{serial_key}}
);
CREATE UNIQUE INDEX screening_matches_natural ON screening_matches (tenant_id, subject_id, list, entity_uid);
CREATE INDEX screening_matches_review ON screening_matches (tenant_id, review_status);
{{rls screening_matches}}

CREATE TABLE screening_reviews (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  match_id BIGINT NOT NULL,
  decision TEXT NOT NULL,
  note TEXT NOT NULL,
  actor TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  {{serial_key}}
);
{{rls screening_reviews}}

CREATE TABLE screening_allowlist (
  tenant_id TEXT NOT NULL,
  name_key TEXT NOT NULL,
  list TEXT NOT NULL,
  entity_uid TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  added_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  expires_at TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name_key, list, entity_uid)
);
{{rls screening_allowlist}}

CREATE TABLE screening_changes (
  id {{serial}},
  tenant_id TEXT NOT NULL,
  run_id BIGINT NOT NULL,
  changed_at TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  old_status TEXT NOT NULL,
  new_status TEXT NOT NULL,
  old_score DOUBLE PRECISION NOT NULL,
  new_score DOUBLE PRECISION NOT NULL,
  {{serial_key}}
);
{{rls screening_changes}}
