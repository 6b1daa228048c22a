-- Up Migration

-- Team members (the actorId of interactions), so answers show names rather than bare ids.
CREATE TABLE members (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  actor_id text NOT NULL,
  name text,
  email text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, actor_id)
);

-- Insights compare every contact's score now with its score some days ago from the anchors plus
-- the ledger entries of that period only: a range scan by time.
CREATE INDEX score_ledger_by_time ON score_ledger (workspace_id, version_id, at);

-- Down Migration
DROP INDEX score_ledger_by_time;
DROP TABLE members;
