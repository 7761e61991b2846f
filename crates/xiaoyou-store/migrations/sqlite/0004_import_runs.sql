-- Every import run: who imported which file into which school, what happened, and the error
-- report of the refused rows, so it can be downloaded later.
CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools (id),
    user_id BIGINT REFERENCES users (id),
    file_name TEXT NOT NULL,
    data_rows INTEGER NOT NULL,
    imported INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    refused INTEGER NOT NULL,
    error_report BLOB,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_import_runs_school ON import_runs (school_id, created_at);
