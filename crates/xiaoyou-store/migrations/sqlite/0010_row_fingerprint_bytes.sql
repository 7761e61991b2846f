-- A roster row's fingerprint is kept as the first 16 bytes of its SHA-256 digest instead of
-- all 64 hex characters: the unique index every imported row goes through shrinks to a
-- quarter, and 128 bits still never collide within a school. Fingerprints already stored
-- keep their meaning (the new value is the leading half of the digest they spell out), so
-- importing an old file again still changes nothing.
-- The update trigger of the search feed would queue every imported person for reindexing
-- although nothing searchable changes; it is set aside meanwhile.
DROP TRIGGER search_feed_study_records_upd;
DROP INDEX idx_study_records_fingerprint;
ALTER TABLE study_records ADD COLUMN row_digest BLOB;
UPDATE study_records SET row_digest = unhex(substr(row_fingerprint, 1, 32))
WHERE row_fingerprint IS NOT NULL;
ALTER TABLE study_records DROP COLUMN row_fingerprint;
ALTER TABLE study_records RENAME COLUMN row_digest TO row_fingerprint;
CREATE UNIQUE INDEX idx_study_records_fingerprint ON study_records (school_id, row_fingerprint);
CREATE TRIGGER search_feed_study_records_upd AFTER UPDATE ON study_records
BEGIN
    INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id);
    INSERT INTO search_changes (entity, entity_id)
        SELECT 'person', OLD.person_id WHERE OLD.person_id <> NEW.person_id;
END;
