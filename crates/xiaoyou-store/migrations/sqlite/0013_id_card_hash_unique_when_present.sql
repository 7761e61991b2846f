-- An ID number stays unique among persons, but only persons who have one are entered in the
-- unique index. Most rosters carry no ID numbers, and the column constraint gave every such
-- person an index entry holding nothing: a third of what storing a person cost an import.
--
-- SQLite cannot drop a column's UNIQUE constraint, so the table is rebuilt as SQLite
-- prescribes (the migration runs with foreign-key enforcement off and checks every reference
-- before it commits): the same columns in the same order, the rows copied with their ids, then
-- the indexes and the search feed's triggers as they were. The copy is not heard by the feed.
CREATE TABLE persons_rebuilt (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    gender TEXT,
    birth_date DATE,
    id_card_hash TEXT,
    id_card_cipher BLOB,
    id_card_masked TEXT,
    native_region_code INTEGER REFERENCES regions (code),
    current_city TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    merged_into BIGINT REFERENCES persons (id)
);
INSERT INTO persons_rebuilt (id, name, name_key, gender, birth_date, id_card_hash,
    id_card_cipher, id_card_masked, native_region_code, current_city, created_at, updated_at,
    merged_into)
SELECT id, name, name_key, gender, birth_date, id_card_hash, id_card_cipher, id_card_masked,
    native_region_code, current_city, created_at, updated_at, merged_into
FROM persons;
DROP TABLE persons;
ALTER TABLE persons_rebuilt RENAME TO persons;

-- Named uq_, not idx_: a constraint, never set aside while a large roster is loaded (an
-- import looks persons up by it).
CREATE UNIQUE INDEX uq_persons_id_card_hash ON persons (id_card_hash)
    WHERE id_card_hash IS NOT NULL;
CREATE INDEX idx_persons_name_key ON persons (name_key);
CREATE INDEX idx_persons_merged_into ON persons (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX idx_persons_updated ON persons (updated_at);

CREATE TRIGGER search_feed_persons_ins AFTER INSERT ON persons
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.id); END;
CREATE TRIGGER search_feed_persons_upd AFTER UPDATE ON persons
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.id); END;
CREATE TRIGGER search_feed_persons_del AFTER DELETE ON persons
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', OLD.id); END;
