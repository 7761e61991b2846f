-- Managing the organisation tree in the browser: a college's history (学院简史), the contacts
-- of a class's head teacher and liaison, and the indexes the dashboards and the "is it empty?"
-- checks before deleting read through.
ALTER TABLE colleges ADD COLUMN origins TEXT;
ALTER TABLE colleges ADD COLUMN students INTEGER;
ALTER TABLE colleges ADD COLUMN staff INTEGER;
ALTER TABLE colleges ADD COLUMN achievements TEXT;
ALTER TABLE colleges ADD COLUMN addresses TEXT;
ALTER TABLE colleges ADD COLUMN history_updated_at TIMESTAMPTZ;

-- Former names of a college and its leaders, each with the years it held.
CREATE TABLE college_history_entries (
    id INTEGER PRIMARY KEY,
    college_id BIGINT NOT NULL REFERENCES colleges (id),
    kind TEXT NOT NULL CHECK (kind IN ('former_name', 'leader')),
    position INTEGER NOT NULL,
    from_year INTEGER,
    to_year INTEGER,
    name TEXT NOT NULL,
    title TEXT
);
CREATE INDEX idx_college_history_college ON college_history_entries (college_id);

ALTER TABLE classes ADD COLUMN head_teacher_phone TEXT;
ALTER TABLE classes ADD COLUMN liaison_name TEXT;
ALTER TABLE classes ADD COLUMN liaison_phone TEXT;

CREATE INDEX idx_classes_major ON classes (major_id);
CREATE INDEX idx_study_records_major ON study_records (major_id);
CREATE INDEX idx_persons_updated ON persons (updated_at);
