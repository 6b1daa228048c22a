-- Up Migration

-- Optimistic concurrency on drafts: every change to a profile's draft bumps its revision (the ETag).
ALTER TABLE profiles ADD COLUMN revision integer NOT NULL DEFAULT 1;

-- Who published each version (the API key's name, or its id when it has none).
ALTER TABLE profile_versions ADD COLUMN published_by text;

-- What a finished job computed (an impact report), for GET /v1/jobs/{id}.
ALTER TABLE jobs ADD COLUMN result jsonb;

-- A redelivered delivery retries for the full period again, counted from when it was redelivered.
ALTER TABLE deliveries ADD COLUMN retry_since timestamptz;

-- What this workspace's data looks like, for the profile editor's warnings ("no interaction has ever
-- had $.properties.amuont"): interaction types, property paths of interactions and attribute paths of
-- contacts seen so far. Written only when something new turns up.
CREATE TABLE data_shapes (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  -- 'type' (an interaction type), 'property' (a path in interaction properties), 'attribute' (a path in contact attributes)
  kind text NOT NULL CHECK (kind IN ('type', 'property', 'attribute')),
  value text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, kind, value)
);
INSERT INTO data_shapes (workspace_id, kind, value)
  SELECT DISTINCT workspace_id, 'type', type FROM interactions ON CONFLICT DO NOTHING;
INSERT INTO data_shapes (workspace_id, kind, value)
  SELECT DISTINCT i.workspace_id, 'property', k.key FROM interactions i, jsonb_object_keys(CASE WHEN jsonb_typeof(i.properties) = 'object' THEN i.properties ELSE '{}' END) AS k(key)
  ON CONFLICT DO NOTHING;
INSERT INTO data_shapes (workspace_id, kind, value)
  SELECT DISTINCT c.workspace_id, 'attribute', k.key FROM contacts c, jsonb_object_keys(c.attributes) AS k(key)
  ON CONFLICT DO NOTHING;

-- Finding a contact by the start of its id or name (the console's contact picker).
CREATE INDEX contacts_by_name_prefix ON contacts (workspace_id, lower(name) text_pattern_ops) WHERE name IS NOT NULL;
CREATE INDEX contacts_by_id_prefix ON contacts (workspace_id, lower(id) text_pattern_ops);

-- Down Migration
DROP INDEX contacts_by_id_prefix;
DROP INDEX contacts_by_name_prefix;
DROP TABLE data_shapes;
ALTER TABLE deliveries DROP COLUMN retry_since;
ALTER TABLE jobs DROP COLUMN result;
ALTER TABLE profile_versions DROP COLUMN published_by;
ALTER TABLE profiles DROP COLUMN revision;
