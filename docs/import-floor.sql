-- What SQLite alone needs to store a 1,000,000-row roster the way an import stores a school's
-- first CSV roster: one person, one study record, one mobile contact and one employment per
-- row, the indexes dropped during the load and built once at the end, one transaction. The
-- rows come from generate_series inside SQLite, so nothing is parsed, checked or bound: the
-- figures are a floor for `xiaoyou bench import`, not a rival to it.
--
--   sqlite3 /tmp/floor.db < docs/import-floor.sql     (delete /tmp/floor.db* before a rerun)
--
-- As in an import, the commit does not checkpoint: the statement timings end at the commit.
-- (The sqlite3 shell copies the log into the database file when it exits, after them.)
--
-- Tables and indexes as the migrations leave them (columns an import leaves empty omitted).
PRAGMA page_size = 16384;  -- as new databases are created (before WAL mode, which fixes it)
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -65536;
PRAGMA wal_autocheckpoint = 0;
CREATE TABLE persons (id INTEGER PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL,
    gender TEXT, birth_date DATE, id_card_hash TEXT, id_card_cipher BLOB,
    id_card_masked TEXT, native_region_code INTEGER, current_city TEXT,
    created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL, merged_into BIGINT);
CREATE TABLE study_records (id INTEGER PRIMARY KEY, person_id BIGINT NOT NULL,
    school_id BIGINT NOT NULL, college_id BIGINT, major_id BIGINT, class_id BIGINT,
    level TEXT NOT NULL, enrolment_year INTEGER, graduation_year INTEGER, student_no TEXT,
    name_as_reported TEXT NOT NULL, source_id BIGINT NOT NULL, source_ref TEXT,
    reported_at TIMESTAMPTZ NOT NULL, created_at TIMESTAMPTZ NOT NULL, row_fingerprint BIGINT);
CREATE TABLE contact_points (id INTEGER PRIMARY KEY, person_id BIGINT NOT NULL,
    kind TEXT NOT NULL, value TEXT NOT NULL, value_key TEXT NOT NULL, source_id BIGINT NOT NULL,
    observed_on DATE, verified BOOLEAN NOT NULL, created_at TIMESTAMPTZ NOT NULL);
CREATE TABLE employments (id INTEGER PRIMARY KEY, person_id BIGINT NOT NULL,
    enterprise_id BIGINT, employer_name TEXT NOT NULL, title TEXT, city TEXT, start_year INTEGER,
    end_year INTEGER, is_current BOOLEAN NOT NULL, source_id BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL);
-- A constraint, kept during a load; persons without an ID number are not entered in it.
CREATE UNIQUE INDEX uq_persons_id_card_hash ON persons (id_card_hash)
    WHERE id_card_hash IS NOT NULL;
CREATE TEMP TABLE roster (line INTEGER PRIMARY KEY, print INTEGER, phone TEXT, name_key TEXT);
INSERT INTO roster SELECT value, random(),
    '1' || (3 + abs(random()) % 7) || printf('%09d', abs(random()) % 1000000000),
    'wang' || abs(random()) % 5000
FROM generate_series(1, 1000000);

.timer on
BEGIN;
INSERT INTO persons (id, name, name_key, gender, current_city, created_at, updated_at)
SELECT line, '王伟国', name_key, 'M', '长沙', '2026-12-04T14:05:31+00:00',
    '2026-12-04T14:05:31+00:00' FROM roster;
INSERT INTO study_records (person_id, school_id, college_id, major_id, class_id, level,
    enrolment_year, graduation_year, name_as_reported, source_id, source_ref, row_fingerprint,
    reported_at, created_at)
SELECT line, 1, 1 + line % 4, 1 + line % 12, 1 + line % 480, 'bachelor', 1990 + line % 30,
    1994 + line % 30, '王伟国', 1, 'bench.csv#' || line, print,
    '2026-12-04T14:05:31+00:00', '2026-12-04T14:05:31+00:00' FROM roster;
INSERT INTO contact_points (person_id, kind, value, value_key, source_id, observed_on,
    verified, created_at)
SELECT line, 'mobile', phone, phone, 1, '2026-12-04', 0, '2026-12-04T14:05:31+00:00'
FROM roster;
INSERT INTO employments (person_id, employer_name, title, city, is_current, source_id,
    created_at)
SELECT line, '湖南示例企业' || (line % 997) || '有限公司', '工程师', '长沙', 1, 1,
    '2026-12-04T14:05:31+00:00' FROM roster;
INSERT INTO temp.roster (line) SELECT -1;  -- (marks the end of the load in the timings)
-- A first roster without ID numbers, from a text file, builds the unique index at the end too.
CREATE UNIQUE INDEX idx_study_records_fingerprint ON study_records (row_fingerprint, school_id);
CREATE INDEX idx_persons_name_key ON persons (name_key);
CREATE INDEX idx_persons_merged_into ON persons (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX idx_persons_updated ON persons (updated_at);
CREATE INDEX idx_study_records_person ON study_records (person_id);
CREATE INDEX idx_study_records_school_year ON study_records (school_id, graduation_year);
CREATE INDEX idx_study_records_college ON study_records (college_id);
CREATE INDEX idx_study_records_class ON study_records (class_id);
CREATE INDEX idx_study_records_major ON study_records (major_id);
CREATE INDEX idx_study_records_school_id ON study_records (school_id, id);
CREATE INDEX idx_contact_points_person ON contact_points (person_id);
CREATE INDEX idx_contact_points_key ON contact_points (value_key, kind);
CREATE INDEX idx_employments_person ON employments (person_id);
CREATE INDEX idx_employments_enterprise ON employments (enterprise_id)
    WHERE enterprise_id IS NOT NULL;
CREATE TABLE search_changes (seq INTEGER PRIMARY KEY, entity TEXT NOT NULL, entity_id BIGINT NOT NULL);
INSERT INTO search_changes (entity, entity_id) SELECT 'person', person_id FROM study_records;
COMMIT;
