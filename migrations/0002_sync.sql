-- Offline sync. A client is one browser of one user; it numbers its mutations 1, 2, 3, ...
-- `last_applied` is the highest number the server has finished (applied or rejected), so a push
-- resumes exactly after it and a retried push changes nothing.
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    last_applied BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);

-- A value that lost to a later write of the same field (last write wins for synced edits), kept for
-- the person who had written it until they re-apply or dismiss it.
CREATE TABLE conflicts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    lead_id TEXT NOT NULL,
    field TEXT NOT NULL,
    lost_value TEXT NOT NULL,
    won_value TEXT NOT NULL,
    won_by TEXT NOT NULL,
    at BIGINT NOT NULL,
    resolved BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX conflicts_user ON conflicts (user_id, resolved, at);
CREATE INDEX changes_record ON changes (record_id);
