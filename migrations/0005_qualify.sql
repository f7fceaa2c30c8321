-- Schema version 5: business process flows, the lead's place in its process, and what qualifying creates
-- (accounts, contacts, opportunities). Same SQL for SQLite and Postgres.

-- Process definitions: `definition` is the JSON of domain::process::Process (stages, steps, branches).
-- The shipped processes are written at start-up when missing (store::processes::ensure_shipped).
CREATE TABLE processes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    position BIGINT NOT NULL,
    retired BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- The lead's process, its current stage and its ticked checks (sorted keys, comma-separated); they are
-- lead fields like any other, so stage moves are mutations, merge per field and work offline.
ALTER TABLE leads ADD COLUMN process_id TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN stage TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN process_checks TEXT NOT NULL DEFAULT '';
-- Why the lead was closed (disqualify note); the reason itself is the status reason.
ALTER TABLE leads ADD COLUMN closed_note TEXT NOT NULL DEFAULT '';
UPDATE leads SET process_id = CASE WHEN source = 'Trade Show' THEN 'trade_show' ELSE 'lead_to_opportunity' END, stage = 'qualify';

-- Whether Qualify creates account, contact and opportunity at once ('automatic') or lets the seller choose.
ALTER TABLE workspace ADD COLUMN qualify_mode TEXT NOT NULL DEFAULT 'automatic';

-- Duplicate checks look accounts up by normalised name and web domain, contacts by email.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    website TEXT NOT NULL DEFAULT '',
    web_domain TEXT NOT NULL DEFAULT '',
    industry TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX accounts_name_key ON accounts (name_key);
CREATE INDEX accounts_web_domain ON accounts (web_domain);
CREATE INDEX accounts_team_name ON accounts (team_id, name, id);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    account_id TEXT REFERENCES accounts (id),
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL,
    job_title TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    email_key TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_email_key ON contacts (email_key);
CREATE INDEX contacts_team_name ON contacts (team_id, last_name, first_name, id);
CREATE INDEX contacts_account ON contacts (account_id);

-- An opportunity continues the lead's process from the stage after the lead's last one.
CREATE TABLE opportunities (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    lead_id TEXT NOT NULL REFERENCES leads (id),
    account_id TEXT REFERENCES accounts (id),
    contact_id TEXT REFERENCES contacts (id),
    topic TEXT NOT NULL,
    estimated_value BIGINT,
    budget_amount BIGINT,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'won', 'lost')),
    close_reason TEXT NOT NULL DEFAULT '',
    process_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    process_checks TEXT NOT NULL DEFAULT '',
    customer_need TEXT NOT NULL DEFAULT '',
    proposed_solution TEXT NOT NULL DEFAULT '',
    decision_date TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX opportunities_lead ON opportunities (lead_id);
CREATE INDEX opportunities_team_state ON opportunities (team_id, state, updated_at, id);
CREATE INDEX opportunities_owner_state ON opportunities (owner_id, state, updated_at, id);
