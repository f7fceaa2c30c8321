-- Prospecta schema, version 1, the same SQL for SQLite and Postgres. Times are UTC milliseconds since 1970; ids are UUID v7 text;
-- empty text is '' (not NULL) so that sorting agrees on SQLite and Postgres.

CREATE TABLE workspace (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('seller', 'manager', 'admin')),
    password_hash TEXT NOT NULL,
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- Sessions live here, not in server memory, so any server process can serve any request.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_throttle (
    email TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);

CREATE TABLE leads (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'qualified', 'disqualified')),
    status_reason TEXT NOT NULL DEFAULT 'New',
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    search_text TEXT NOT NULL DEFAULT '',
    topic TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    rating TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL,
    job_title TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    business_phone TEXT NOT NULL DEFAULT '',
    mobile_phone TEXT NOT NULL DEFAULT '',
    company_name TEXT NOT NULL,
    website TEXT NOT NULL DEFAULT '',
    industry TEXT NOT NULL DEFAULT '',
    employees BIGINT,
    annual_revenue BIGINT,
    sic_code TEXT NOT NULL DEFAULT '',
    street TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state_province TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    budget_amount BIGINT,
    purchase_timeframe TEXT NOT NULL DEFAULT '',
    purchase_process TEXT NOT NULL DEFAULT '',
    decision_maker BIGINT,
    description TEXT NOT NULL DEFAULT ''
);
-- List views filter by team or owner and state, then sort; these keep the common pages index-only.
CREATE INDEX leads_team_state_updated ON leads (team_id, state, updated_at, id);
CREATE INDEX leads_owner_state_updated ON leads (owner_id, state, updated_at, id);
CREATE INDEX leads_state_updated ON leads (state, updated_at, id);
CREATE INDEX leads_team_state_company ON leads (team_id, state, company_name, id);
CREATE INDEX leads_team_state_name ON leads (team_id, state, last_name, first_name, id);
CREATE INDEX leads_team_state_created ON leads (team_id, state, created_at, id);

-- The version each field had after its last change, and who changed it: the base of per-field merge.
CREATE TABLE lead_field_versions (
    lead_id TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    version BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (lead_id, field)
);

-- Every mutation ever received; the key makes a repeated mutation a no-op.
CREATE TABLE mutations (
    client_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    record_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
    reason TEXT NOT NULL DEFAULT '',
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, seq)
);

-- The feed of applied changes that clients pull from. `seq` is assigned by the writer under the feed
-- lock (see store::Kind::lock_change_feed), so it rises in commit order with no gaps on both engines.
CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    fields TEXT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    user_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
