-- Up Migration

-- Accept first, score right after (docs/scoring-pipeline.md). The interactions table is the log: every
-- row carries the id of the transaction that stored it, so the scoring workers can read the log in
-- order — everything below a snapshot's xmin has committed — and a client's token is a position in it.
-- Contacts are scored by partition (of the md5 of the contact id, which the service computes the same
-- way): one worker at a time holds a partition under a lease, and everything below scored_below (a
-- transaction id) is scored for its contacts. Rows arrive in transaction order, so a block-range
-- index finds a window of the log at next to no cost for ingest (a btree on (partition, txid) cost
-- accept about as much as the primary key does).
CREATE FUNCTION es_partition(contact_id text) RETURNS smallint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT (('x' || substr(md5(contact_id), 1, 4))::bit(16)::int % 64)::smallint $$;
ALTER TABLE interactions
  ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
  ADD COLUMN partition smallint NOT NULL GENERATED ALWAYS AS (es_partition(contact_id)) STORED;
CREATE INDEX interactions_log ON interactions USING brin (txid) WITH (pages_per_range = 16);

-- The other events of the log: contact changes and adjustments, scored in order with the interactions.
CREATE TABLE score_events (
  workspace_id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
  -- 'contact' (its fields changed: state rules are decided again) or 'adjustment' (payload.adjustmentId)
  kind text NOT NULL CHECK (kind IN ('contact', 'adjustment')),
  contact_id text NOT NULL,
  partition smallint NOT NULL GENERATED ALWAYS AS (es_partition(contact_id)) STORED,
  received_at timestamptz NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (workspace_id, seq)
);
CREATE INDEX score_events_log ON score_events (partition, txid, seq);
-- An adjustment is applied when its event is scored; a publish replays only those (the same transaction stores both).
ALTER TABLE score_adjustments ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);

-- One row per transaction that wrote to the log, with how much: a worker sizes its windows from it
-- without counting the log, and the lag is read from it. Rows below every partition's position go.
CREATE TABLE log_transactions (
  txid bigint PRIMARY KEY,
  events integer NOT NULL,
  received_at timestamptz NOT NULL
);

CREATE TABLE scoring_partitions (
  partition smallint PRIMARY KEY,
  owner text,
  lease_until timestamptz,
  scored_below bigint NOT NULL,
  scored_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO scoring_partitions (partition, scored_below)
  SELECT p, pg_current_xact_id()::text::bigint + 1 FROM generate_series(0, 63) AS p;

-- Interaction rules' contributions are no longer stored: they are what the rules make of the stored
-- interactions. The ledger keeps what cannot be derived: state rules starting or stopping to hold,
-- adjustments, and the matches a limit stopped from counting (counted = false).
DELETE FROM score_ledger WHERE kind = 0 AND counted;

-- Each anchor keeps the entries that can still matter to its score, its trend or a limit (packed,
-- see store/scores.ts), so scoring continues from the anchor alone and a score answer reads one row.
-- NULL: not kept yet (the contact's history is read instead, and the next scoring fills it in).
ALTER TABLE scores ADD COLUMN recent bytea,
  -- The last moment its contributions changed (an entry made, or one leaving the window): a period
  -- query corrects only anchors that changed during the period. NULL with recent: not known yet.
  ADD COLUMN changed_at timestamptz;

-- A contact's last interaction, apart from the wide contacts row (which the scoring would otherwise
-- rewrite, with all its indexes, at every interaction).
CREATE TABLE contact_activity (
  workspace_id uuid NOT NULL,
  contact_id text NOT NULL,
  last_at timestamptz,
  last_type text,
  PRIMARY KEY (workspace_id, contact_id)
);
INSERT INTO contact_activity (workspace_id, contact_id, last_at, last_type)
  SELECT workspace_id, id, last_interaction_at, last_interaction_type FROM contacts;
CREATE INDEX contact_activity_by_last ON contact_activity (workspace_id, (coalesce(last_at, '-infinity'::timestamptz)), contact_id);
DROP INDEX contacts_by_last_interaction;
ALTER TABLE contacts DROP COLUMN last_interaction_at, DROP COLUMN last_interaction_type;

-- Down Migration
-- (The interaction rows of the ledger deleted above are not restored: publishing a version rebuilds them with the code of that time.)
ALTER TABLE contacts ADD COLUMN last_interaction_at timestamptz, ADD COLUMN last_interaction_type text;
UPDATE contacts c SET last_interaction_at = a.last_at, last_interaction_type = a.last_type
  FROM contact_activity a WHERE a.workspace_id = c.workspace_id AND a.contact_id = c.id;
CREATE INDEX contacts_by_last_interaction ON contacts (workspace_id, (coalesce(last_interaction_at, '-infinity'::timestamptz)), id);
DROP TABLE contact_activity;
ALTER TABLE scores DROP COLUMN recent, DROP COLUMN changed_at;
DROP TABLE scoring_partitions;
DROP TABLE log_transactions;
ALTER TABLE score_adjustments DROP COLUMN txid;
DROP TABLE score_events;
DROP INDEX interactions_log;
ALTER TABLE interactions DROP COLUMN partition, DROP COLUMN txid;
DROP FUNCTION es_partition(text);
