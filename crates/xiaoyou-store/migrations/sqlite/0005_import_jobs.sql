-- Imports run as background jobs: the uploaded file waits in the data directory while the
-- user confirms the column mapping, then a worker imports it in one transaction. A job found
-- running after a restart was rolled back with its process and is queued again.
CREATE TABLE import_jobs (
    id INTEGER PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools (id),
    user_id BIGINT REFERENCES users (id),
    file_name TEXT NOT NULL,
    stored_file TEXT NOT NULL,
    -- JSON: the column index → field code chosen on the mapping page.
    mapping TEXT,
    stage TEXT NOT NULL CHECK (stage IN ('mapping', 'queued', 'running', 'done', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    message TEXT,
    run_id BIGINT REFERENCES import_runs (id),
    created_at TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ,
    heartbeat_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);
CREATE INDEX idx_import_jobs_stage ON import_jobs (stage, id);
CREATE INDEX idx_import_jobs_school ON import_jobs (school_id, id);

-- A school's own column names, remembered from the mapping page: the next roster with the
-- same header is mapped the same way.
CREATE TABLE import_mappings (
    school_id BIGINT NOT NULL REFERENCES schools (id),
    header_key TEXT NOT NULL,
    field TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (school_id, header_key)
);
