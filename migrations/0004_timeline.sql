-- The lead timeline: activities (phone calls, appointments, tasks, emails), notes, posts with replies, and
-- the app's own events. One table, newest first by (created_at, id); a reply points at its post.
-- Kind-specific fields (direction, start, due, attendees, ...) are JSON text in `details`.
CREATE TABLE timeline_items (
    id TEXT PRIMARY KEY,
    lead_id TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    parent_id TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '',
    author_id TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    edited BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1
);
-- One page of a lead's timeline (top-level items) or a post's replies is one index range.
CREATE INDEX timeline_lead_order ON timeline_items (lead_id, parent_id, created_at, id);

-- Files attached to notes, kept in the database so every server process can serve them.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    lead_id TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    uploaded_by TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- A person was mentioned in a post: shown in their notification list until read.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lead_id TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, created_at);

-- Per-person settings, such as the timeline filter they last chose.
CREATE TABLE user_settings (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- When the lead's timeline last gained an activity, note or post (0: never); the list sorts by it.
ALTER TABLE leads ADD COLUMN last_activity_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX leads_team_state_activity ON leads (team_id, state, last_activity_at, id);
