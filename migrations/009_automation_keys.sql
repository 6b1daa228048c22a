-- Up Migration
-- Automation keys (n8n and the like): read, record interactions, manage subscriptions; nothing else.
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'writer', 'reader', 'automation'));
-- When the key was last used, recorded at most once a minute per instance (not a write per request).
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;

-- Down Migration
ALTER TABLE api_keys DROP COLUMN last_used_at;
DELETE FROM api_keys WHERE role = 'automation';
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'writer', 'reader'));
