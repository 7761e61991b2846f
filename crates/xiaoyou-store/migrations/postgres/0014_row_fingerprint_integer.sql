-- A roster row's fingerprint is kept as the first 8 bytes of its SHA-256 digest, read as a
-- signed big-endian integer, instead of 16 bytes. Two different rows of one school share a
-- fingerprint with a chance of about n²/2⁶⁵: for a school of a million alumni, 3 in 100
-- million. An integer key compares in one step where bytes are compared one by one, so the
-- unique index every imported row goes through is built and searched faster. The index now
-- leads with the fingerprint: its first column then tells almost every two entries apart.
-- Fingerprints already stored keep their meaning (the new value is the leading half of the
-- bytes kept so far), so importing an old file again still changes nothing.
DROP INDEX idx_study_records_fingerprint;
ALTER TABLE study_records ALTER COLUMN row_fingerprint TYPE BIGINT
    USING ('x' || encode(substring(row_fingerprint FROM 1 FOR 8), 'hex'))::bit(64)::bigint;
CREATE UNIQUE INDEX idx_study_records_fingerprint ON study_records (row_fingerprint, school_id);
