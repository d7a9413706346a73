-- Version 2: sessions indexed by expiry, so that expired sessions can be
-- swept (the bbolt store's sessions_by_expiry). Existing rows take the
-- expiry from their JSON, at the microsecond precision PostgreSQL keeps.

-- +goose Up
ALTER TABLE sessions ADD COLUMN expires_ns bigint;
UPDATE sessions SET expires_ns = GREATEST(0,
    (extract(epoch FROM (convert_from(data, 'UTF8')::jsonb->>'expires_at')::timestamptz) * 1000000)::bigint * 1000);
ALTER TABLE sessions ALTER COLUMN expires_ns SET NOT NULL;
CREATE INDEX sessions_expiry ON sessions (expires_ns, token_hash);

-- +goose Down
DROP INDEX sessions_expiry;
ALTER TABLE sessions DROP COLUMN expires_ns;
