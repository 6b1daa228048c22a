-- Up Migration

-- One request may add at most 32 KB of attributes; merged over many requests a contact's attributes
-- stay under 64 KB, so one contact cannot grow without bound. NOT VALID: rows stored before are left as
-- they are (the check applies to every write from now on).
ALTER TABLE contacts ADD CONSTRAINT contacts_attributes_size CHECK (octet_length(attributes::text) <= 65536) NOT VALID;

-- Retention: finished deliveries and jobs are purged after RETENTION_DAYS, oldest first, in small batches.
CREATE INDEX deliveries_finished ON deliveries (created_at) WHERE state <> 'pending';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('succeeded', 'failed');

-- Down Migration
DROP INDEX jobs_finished;
DROP INDEX deliveries_finished;
ALTER TABLE contacts DROP CONSTRAINT contacts_attributes_size;
