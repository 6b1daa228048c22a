-- Up Migration

-- Threshold triggers: who wants to hear about which crossings, signed with their own secret.
CREATE TABLE subscriptions (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  profile_id uuid NOT NULL,
  event text NOT NULL CHECK (event IN ('score.dropped_below', 'score.rose_above', 'score.crossed', 'band.changed')),
  threshold double precision,
  -- any-of segment; NULL = every contact
  tags text[],
  url text NOT NULL,
  description text,
  -- HMAC key for the signatures; kept retrievable because every delivery is signed with it
  secret text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
  status_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX subscriptions_by_profile ON subscriptions (workspace_id, profile_id) WHERE status = 'active';

-- The transactional outbox: one row per (subscription, crossing), written in the transaction that
-- changed the score, delivered at least once by the dispatcher.
CREATE TABLE deliveries (
  workspace_id uuid NOT NULL,
  -- the event id receivers use to drop duplicates (X-Engagement-Event-Id)
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  subscription_id uuid NOT NULL,
  contact_id text NOT NULL,
  type text NOT NULL,
  occurred_at timestamptz NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  locked_until timestamptz,
  last_status integer,
  last_error text,
  -- the latest attempts: [{ at, status, error, ms }]
  attempt_log jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_in_order ON deliveries (workspace_id, subscription_id, contact_id, occurred_at, seq) WHERE state = 'pending';
CREATE INDEX deliveries_by_subscription ON deliveries (workspace_id, subscription_id, seq DESC);

-- When each contact's score next needs the scheduler: its anchor goes stale, or time alone carries it
-- across a watched level (a band edge or a subscribed threshold). The scheduler reads only due rows.
-- Stale anchors are found through the same index: a due time is never later than the stale time.
ALTER TABLE scores ADD COLUMN due_at timestamptz;
CREATE INDEX scores_due ON scores (due_at) WHERE due_at IS NOT NULL;

-- Down Migration
DROP INDEX scores_due;
ALTER TABLE scores DROP COLUMN due_at;
DROP TABLE deliveries;
DROP TABLE subscriptions;
