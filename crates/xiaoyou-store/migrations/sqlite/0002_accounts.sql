-- Accounts, grants on the organisation tree, sessions, login attempts, the audit log and
-- consent records. SQLite flavour; the PostgreSQL file of the same version matches it.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    disabled BOOLEAN NOT NULL,
    failed_logins INTEGER NOT NULL,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    node_kind TEXT NOT NULL,
    node_id BIGINT NOT NULL,
    granted_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, role, node_kind, node_id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    client_addr TEXT
);
CREATE INDEX idx_sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_login_attempts_addr ON login_attempts (client_addr, attempted_at);
CREATE INDEX idx_login_attempts_user ON login_attempts (username, attempted_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor_user_id BIGINT,
    actor_name TEXT NOT NULL,
    actor_role TEXT,
    scope TEXT,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT,
    school_id BIGINT,
    changes TEXT,
    request_id TEXT,
    client_addr TEXT,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE INDEX idx_audit_log_time ON audit_log (occurred_at);
CREATE INDEX idx_audit_log_school ON audit_log (school_id, occurred_at);

CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    audience TEXT NOT NULL,
    granted BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_consents_person ON consents (person_id, audience);
