-- Up Migration
-- Minimum evidence (a profile's minInteractions): below it a contact has no score in that profile.
-- qualified: the contact has at least minInteractions matching interactions in the window at the
-- anchor's moment (always true under a profile without minInteractions, and for every row written
-- before this migration: no version had the option then). Written with each anchor, and exact for
-- reads that bring stale anchors up to date first: the count changes only when a match is added (an
-- anchor write) or leaves the window / comes due (folded into stale_at, a time step).
-- evidence: that count at anchor_at (NULL: not counted, the version has no minInteractions). Without a
-- window the anchor keeps too few entries to recount it, so the scoring continues from it.
ALTER TABLE scores ADD COLUMN qualified boolean NOT NULL DEFAULT true,
  ADD COLUMN evidence integer;

-- Score-ordered lists, filters and sorts read only qualified anchors: the index that answers them holds
-- only those, so a contact without a score costs such a query nothing (same name, same columns).
DROP INDEX scores_by_score;
CREATE INDEX scores_by_score ON scores (workspace_id, version_id, state_points, sign, sort_key, contact_id) WHERE qualified;

-- Down Migration
DROP INDEX scores_by_score;
CREATE INDEX scores_by_score ON scores (workspace_id, version_id, state_points, sign, sort_key, contact_id);
ALTER TABLE scores DROP COLUMN evidence, DROP COLUMN qualified;
