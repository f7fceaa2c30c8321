-- Schema version 6: stakeholders (contacts with a role) and competitors, on leads and opportunities.

-- The shared list of competitors, kept by managers and admins.
CREATE TABLE competitors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    website TEXT NOT NULL DEFAULT '',
    strengths TEXT NOT NULL DEFAULT '',
    weaknesses TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX competitors_name ON competitors (name);

-- A contact's role on a lead or an opportunity (`record_kind` 'lead' or 'opportunity').
CREATE TABLE stakeholders (
    id TEXT PRIMARY KEY,
    record_kind TEXT NOT NULL CHECK (record_kind IN ('lead', 'opportunity')),
    record_id TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    role TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX stakeholders_record ON stakeholders (record_id, created_at, id);

-- A competitor in a deal, with what we know about it there.
CREATE TABLE deal_competitors (
    id TEXT PRIMARY KEY,
    record_kind TEXT NOT NULL CHECK (record_kind IN ('lead', 'opportunity')),
    record_id TEXT NOT NULL,
    competitor_id TEXT NOT NULL REFERENCES competitors (id),
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX deal_competitors_record ON deal_competitors (record_id, created_at, id);
