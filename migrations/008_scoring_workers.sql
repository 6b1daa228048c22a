-- Up Migration

-- The scoring workers as people and /metrics see them: each one's heartbeat, its partitions, and how
-- fast it scores (written about once a second by the worker itself; a row whose heartbeat is older
-- than a lease belongs to a worker that is gone).
CREATE TABLE scoring_workers (
  worker_id text PRIMARY KEY,
  started_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL,
  partitions smallint NOT NULL DEFAULT 0,
  scored_total bigint NOT NULL DEFAULT 0,
  per_second float8 NOT NULL DEFAULT 0,
  last_pass_ms integer
);

-- Down Migration
DROP TABLE scoring_workers;
