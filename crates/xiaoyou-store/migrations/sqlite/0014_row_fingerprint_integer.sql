-- A roster row's fingerprint is kept as the first 8 bytes of its SHA-256 digest, read as a
-- signed big-endian integer, instead of 16 bytes. Two different rows of one school share a
-- fingerprint with a chance of about n²/2⁶⁵: for a school of a million alumni, 3 in 100
-- million. An integer key compares in one step where a blob is compared byte by byte, so the
-- unique index every imported row goes through is built and searched faster. The index now
-- leads with the fingerprint: its first column then tells almost every two entries apart.
-- Fingerprints already stored keep their meaning (the new value is the leading half of the
-- bytes kept so far), so importing an old file again still changes nothing.
-- The update trigger of the search feed is set aside meanwhile, as in version 10.
DROP TRIGGER search_feed_study_records_upd;
DROP INDEX idx_study_records_fingerprint;
ALTER TABLE study_records ADD COLUMN row_key BIGINT;
-- SQLite has no function that reads bytes as a number: the 16 hex digits of the first
-- 8 bytes are put together four bits at a time (shifts wrap as 64-bit integers).
UPDATE study_records SET row_key =
    ((instr('0123456789ABCDEF', substr(p.digits, 1, 1)) - 1) << 60)
    | ((instr('0123456789ABCDEF', substr(p.digits, 2, 1)) - 1) << 56)
    | ((instr('0123456789ABCDEF', substr(p.digits, 3, 1)) - 1) << 52)
    | ((instr('0123456789ABCDEF', substr(p.digits, 4, 1)) - 1) << 48)
    | ((instr('0123456789ABCDEF', substr(p.digits, 5, 1)) - 1) << 44)
    | ((instr('0123456789ABCDEF', substr(p.digits, 6, 1)) - 1) << 40)
    | ((instr('0123456789ABCDEF', substr(p.digits, 7, 1)) - 1) << 36)
    | ((instr('0123456789ABCDEF', substr(p.digits, 8, 1)) - 1) << 32)
    | ((instr('0123456789ABCDEF', substr(p.digits, 9, 1)) - 1) << 28)
    | ((instr('0123456789ABCDEF', substr(p.digits, 10, 1)) - 1) << 24)
    | ((instr('0123456789ABCDEF', substr(p.digits, 11, 1)) - 1) << 20)
    | ((instr('0123456789ABCDEF', substr(p.digits, 12, 1)) - 1) << 16)
    | ((instr('0123456789ABCDEF', substr(p.digits, 13, 1)) - 1) << 12)
    | ((instr('0123456789ABCDEF', substr(p.digits, 14, 1)) - 1) << 8)
    | ((instr('0123456789ABCDEF', substr(p.digits, 15, 1)) - 1) << 4)
    | (instr('0123456789ABCDEF', substr(p.digits, 16, 1)) - 1)
FROM (SELECT id, hex(substr(row_fingerprint, 1, 8)) AS digits FROM study_records
      WHERE row_fingerprint IS NOT NULL) AS p
WHERE study_records.id = p.id;
ALTER TABLE study_records DROP COLUMN row_fingerprint;
ALTER TABLE study_records RENAME COLUMN row_key TO row_fingerprint;
CREATE UNIQUE INDEX idx_study_records_fingerprint ON study_records (row_fingerprint, school_id);
CREATE TRIGGER search_feed_study_records_upd AFTER UPDATE ON study_records
BEGIN
    INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id);
    INSERT INTO search_changes (entity, entity_id)
        SELECT 'person', OLD.person_id WHERE OLD.person_id <> NEW.person_id;
END;
