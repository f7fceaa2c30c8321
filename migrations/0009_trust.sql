-- Schema version 9: what keeps teams apart and sign-in safe. Same SQL for SQLite and Postgres.

-- Field versions of accounts and contacts say whose record they belong to: an id alone could name both.
CREATE TABLE record_field_versions_by_kind (
    record_kind TEXT NOT NULL CHECK (record_kind IN ('account', 'contact')),
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    version BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (record_kind, record_id, field)
);
INSERT INTO record_field_versions_by_kind (record_kind, record_id, field, version, changed_by, changed_at)
    SELECT 'account', v.record_id, v.field, v.version, v.changed_by, v.changed_at FROM record_field_versions v
    WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = v.record_id);
INSERT INTO record_field_versions_by_kind (record_kind, record_id, field, version, changed_by, changed_at)
    SELECT 'contact', v.record_id, v.field, v.version, v.changed_by, v.changed_at FROM record_field_versions v
    WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.id = v.record_id);
DROP TABLE record_field_versions;
ALTER TABLE record_field_versions_by_kind RENAME TO record_field_versions;

-- The team a feed row concerns: a pull reads only its own team's rows (a change that moves a lead to
-- another team writes one row for each), so it never learns the ids of other teams' leads.
ALTER TABLE changes ADD COLUMN team_id TEXT NOT NULL DEFAULT '';
UPDATE changes SET team_id = COALESCE((SELECT l.team_id FROM leads l WHERE l.id = changes.record_id), '') WHERE record_kind = 'lead';
CREATE INDEX changes_team ON changes (team_id, seq);

-- Sign-in throttle, per email and per client address (keys 'email:…' and 'addr:…').
DROP TABLE login_throttle;
CREATE TABLE sign_in_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);
CREATE INDEX sign_in_throttle_age ON sign_in_throttle (last_failure_at);

-- Sessions end after a time without use as well as at their absolute end; an ended session keeps its
-- reason until then, so the person is told why (for example that their account was deactivated).
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
ALTER TABLE sessions ADD COLUMN ended TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- A file is linked once a note refers to it; files never linked are removed after a day.
ALTER TABLE attachments ADD COLUMN linked BIGINT NOT NULL DEFAULT 0;
UPDATE attachments SET linked = 1
    WHERE EXISTS (SELECT 1 FROM timeline_items t WHERE t.lead_id = attachments.lead_id AND t.details LIKE '%' || attachments.id || '%');
CREATE INDEX attachments_uploader ON attachments (uploaded_by);
CREATE INDEX attachments_unlinked ON attachments (linked, created_at);
