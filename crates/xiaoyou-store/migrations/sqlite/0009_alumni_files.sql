-- The outstanding-alumni file a school keeps (优秀校友档案): who is marked outstanding, with
-- their achievements, and the photos of the file (personal, military training, graduation),
-- stored in the database so every instance serves them. SQLite flavour; the PostgreSQL file
-- of the same version declares the same tables, columns, types and indexes.

CREATE TABLE outstanding_alumni (
    person_id BIGINT NOT NULL REFERENCES persons (id),
    school_id BIGINT NOT NULL REFERENCES schools (id),
    achievements TEXT NOT NULL,
    marked_by BIGINT REFERENCES users (id),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, school_id)
);
CREATE INDEX idx_outstanding_alumni_school ON outstanding_alumni (school_id, updated_at);

CREATE TABLE person_photos (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    school_id BIGINT NOT NULL REFERENCES schools (id),
    kind TEXT NOT NULL CHECK (kind IN ('personal', 'military', 'graduation')),
    content_type TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    uploaded_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_person_photos_person ON person_photos (person_id, school_id);

-- The alumni lists page a school's records newest first without sorting all of them (their
-- filter by major uses idx_study_records_major of version 8).
CREATE INDEX idx_study_records_school_id ON study_records (school_id, id);
