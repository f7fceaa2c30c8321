-- Schema version 8: accounts and contacts are edited field by field (per-field merge, like leads).
CREATE TABLE record_field_versions (
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    version BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (record_id, field)
);
ALTER TABLE accounts ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE contacts ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
