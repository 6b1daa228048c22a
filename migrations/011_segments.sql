-- Up Migration

-- Saved segments (smart lists): a named contact filter that stays current. Members are computed from
-- the filter at read time (index-backed like GET /v1/contacts); only a segment some subscription
-- watches keeps its members in segment_members, to know who entered and who left.
CREATE TABLE segments (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  description text,
  -- what GET /v1/contacts filters by (profileId, minScore, maxScore, band, tags, allTags, accountId,
  -- ownerId) plus lastInteractionBefore/After as durations ("30d"), as validated by the API
  filter jsonb NOT NULL,
  -- set while a subscription watches the segment: from then on segment_members holds its members
  members_since timestamptz,
  -- for filters on the last interaction: up to when windows passing have been looked at
  swept_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX segments_by_name ON segments (workspace_id, lower(name));

CREATE TABLE segment_members (
  workspace_id uuid NOT NULL,
  segment_id uuid NOT NULL,
  contact_id text NOT NULL,
  entered_at timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, segment_id, contact_id),
  FOREIGN KEY (workspace_id, segment_id) REFERENCES segments (workspace_id, id) ON DELETE CASCADE
);
-- Erasing a contact removes its memberships.
CREATE INDEX segment_members_by_contact ON segment_members (workspace_id, contact_id);

-- Subscriptions to a segment's segment.entered / segment.left instead of a profile's crossings.
ALTER TABLE subscriptions ALTER COLUMN profile_id DROP NOT NULL;
ALTER TABLE subscriptions ADD COLUMN segment_id uuid;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_event_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_event_check
  CHECK (event IN ('score.dropped_below', 'score.rose_above', 'score.crossed', 'band.changed', 'segment.entered', 'segment.left'));
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_target_check CHECK (
  (segment_id IS NOT NULL AND profile_id IS NULL AND event IN ('segment.entered', 'segment.left'))
  OR (segment_id IS NULL AND profile_id IS NOT NULL AND event NOT IN ('segment.entered', 'segment.left'))
);
CREATE INDEX subscriptions_by_segment ON subscriptions (workspace_id, segment_id) WHERE status = 'active' AND segment_id IS NOT NULL;

-- Down Migration
DROP INDEX subscriptions_by_segment;
DELETE FROM subscriptions WHERE segment_id IS NOT NULL;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_target_check;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_event_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_event_check CHECK (event IN ('score.dropped_below', 'score.rose_above', 'score.crossed', 'band.changed'));
ALTER TABLE subscriptions DROP COLUMN segment_id;
ALTER TABLE subscriptions ALTER COLUMN profile_id SET NOT NULL;
DROP TABLE segment_members;
DROP TABLE segments;
