-- Import: each study record remembers the fingerprint of the roster row it came from, so that
-- importing the same file again changes nothing.
ALTER TABLE study_records ADD COLUMN row_fingerprint TEXT;
CREATE UNIQUE INDEX idx_study_records_fingerprint ON study_records (school_id, row_fingerprint);
