-- Schema version 7: opportunities are edited field by field like leads, and remember who won a lost deal.
CREATE TABLE opportunity_field_versions (
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    version BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (opportunity_id, field)
);
ALTER TABLE opportunities ADD COLUMN winner_id TEXT REFERENCES competitors (id);
ALTER TABLE opportunities ADD COLUMN closed_at BIGINT;
