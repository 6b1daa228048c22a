-- Up Migration

-- Score profiles: an editable draft plus immutable published versions.
CREATE TABLE profiles (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  draft jsonb NOT NULL,
  -- The version reads are served from; NULL until the first publish has finished.
  live_version_id bigint,
  archived_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id)
);

CREATE TABLE profile_versions (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  profile_id uuid NOT NULL,
  version integer NOT NULL,
  document jsonb NOT NULL,
  -- publishing: being computed (ingest already scores it); live: served; retired: replaced; failed: its job failed
  state text NOT NULL CHECK (state IN ('publishing', 'live', 'retired', 'failed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  PRIMARY KEY (workspace_id, id),
  UNIQUE (workspace_id, profile_id, version),
  FOREIGN KEY (workspace_id, profile_id) REFERENCES profiles (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX profile_versions_active ON profile_versions (workspace_id) WHERE state IN ('publishing', 'live');

-- The ledger: what each interaction earned under each version, state rules starting or stopping to
-- hold, and adjustments. Scores, explanations and history are computed from it. No key: rows are
-- found by (version, contact, time); interaction rows by their interaction's seq and rule.
CREATE TABLE score_ledger (
  workspace_id uuid NOT NULL,
  version_id bigint NOT NULL,
  contact_id text NOT NULL,
  at timestamptz NOT NULL,
  -- 0 interaction rule, 1 state rule (points = change of the undecayed part), 2 adjustment
  kind smallint NOT NULL,
  -- index of the rule in the version's document; -1 for adjustments
  rule smallint NOT NULL,
  points double precision NOT NULL,
  -- false: a match beyond its rule's limit, kept so that limits can be re-decided
  counted boolean NOT NULL DEFAULT true,
  interaction_seq bigint,
  actor_id text,
  adjustment_id uuid
);
-- The only index every ingested match pays for: a timeline page and a re-decided limit also find
-- an interaction's rows through it, since they know the contact and the time.
CREATE INDEX score_ledger_by_contact ON score_ledger (workspace_id, version_id, contact_id, at);

-- Adjustments ("Update Score"): who changed what, when and why. Replayed into each new version.
CREATE TABLE score_adjustments (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  profile_id uuid NOT NULL,
  contact_id text NOT NULL,
  at timestamptz NOT NULL,
  mode text NOT NULL CHECK (mode IN ('delta', 'set')),
  value double precision NOT NULL,
  reason text NOT NULL,
  key_id uuid,
  key_name text,
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX score_adjustments_by_contact ON score_adjustments (workspace_id, profile_id, contact_id, at);

-- Every contact's score under every active version, as an anchor: raw(t) = s + A·2^(−(t − τ)/h),
-- exact until stale_at. (state_points, sign, sort_key) orders contacts by score at any time.
CREATE TABLE scores (
  workspace_id uuid NOT NULL,
  version_id bigint NOT NULL,
  contact_id text NOT NULL,
  state_points double precision NOT NULL DEFAULT 0,
  amplitude double precision NOT NULL DEFAULT 0,
  anchor_at timestamptz NOT NULL,
  sign smallint NOT NULL DEFAULT 0,
  sort_key double precision NOT NULL DEFAULT 0,
  stale_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, version_id, contact_id)
);
CREATE INDEX scores_by_score ON scores (workspace_id, version_id, state_points, sign, sort_key, contact_id);

-- Background work claimed through the database (FOR UPDATE SKIP LOCKED), resumable from `cursor`.
CREATE TABLE jobs (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
  payload jsonb NOT NULL DEFAULT '{}',
  total bigint NOT NULL DEFAULT 0,
  done bigint NOT NULL DEFAULT 0,
  cursor text,
  attempts integer NOT NULL DEFAULT 0,
  locked_by text,
  locked_until timestamptz,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX jobs_claimable ON jobs (created_at) WHERE state IN ('queued', 'running');

-- The decayed part of a score at time key t (in half-lives) from its sort key; 0 once it underflows.
CREATE FUNCTION es_decayed(sign smallint, sort_key double precision, t double precision) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN sign = 0 OR sign * sort_key - t < -1000 THEN 0::float8 ELSE sign * power(2::float8, greatest(sign * sort_key - t, -1000)) END $$;

-- Down Migration
DROP FUNCTION es_decayed(smallint, double precision, double precision);
DROP TABLE jobs;
DROP TABLE scores;
DROP TABLE score_adjustments;
DROP TABLE score_ledger;
DROP TABLE profile_versions;
DROP TABLE profiles;
