-- Up Migration

-- Every record belongs to a workspace, and every key below leads with workspace_id so the data
-- can later be sharded by workspace.
CREATE TABLE workspaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text,
  role text NOT NULL CHECK (role IN ('admin', 'writer', 'reader')),
  -- SHA-256 of the key: keys carry 256 random bits, so a fast hash is enough and the key itself is never stored.
  key_hash bytea NOT NULL,
  -- 'api', 'cli', 'bootstrap' (first start) or 'environment' (ADMIN_API_KEY)
  origin text NOT NULL DEFAULT 'api',
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  PRIMARY KEY (workspace_id, id)
);
-- Authentication looks a key up by its hash alone.
CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (key_hash);

CREATE TABLE contacts (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id text NOT NULL,
  name text,
  email text,
  account_id text,
  owner_id text,
  tags text[] NOT NULL DEFAULT '{}',
  attributes jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_interaction_at timestamptz,
  last_interaction_type text,
  PRIMARY KEY (workspace_id, id)
);
-- Keyset pagination by last interaction (never-contacted contacts sort first ascending).
CREATE INDEX contacts_by_last_interaction
  ON contacts (workspace_id, (coalesce(last_interaction_at, '-infinity'::timestamptz)), id);
CREATE INDEX contacts_by_account ON contacts (workspace_id, account_id, id) WHERE account_id IS NOT NULL;
CREATE INDEX contacts_by_owner ON contacts (workspace_id, owner_id, id) WHERE owner_id IS NOT NULL;
CREATE INDEX contacts_by_tag ON contacts USING gin (tags);

-- No foreign keys here: ingest writes these in bulk and the service keeps them consistent
-- (erasing a contact erases its interactions in the same transaction).
CREATE TABLE interactions (
  workspace_id uuid NOT NULL,
  -- The caller's idempotency key, or one the service made up when the caller sent none.
  id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  contact_id text NOT NULL,
  type text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  actor_id text,
  channel text,
  direction text,
  properties jsonb,
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX interactions_by_contact ON interactions (workspace_id, contact_id, occurred_at DESC, seq DESC);

-- Down Migration
DROP TABLE interactions;
DROP TABLE contacts;
DROP TABLE api_keys;
DROP TABLE workspaces;
