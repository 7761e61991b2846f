-- The organisation tree, people and their records. SQLite flavour; the PostgreSQL file of the
-- same version declares the same tables, columns, types and indexes.

CREATE TABLE regions (
    code INT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code INTEGER REFERENCES regions (code)
);
CREATE INDEX idx_regions_parent ON regions (parent_code);

CREATE TABLE industry_chains (
    id INTEGER PRIMARY KEY,
    province_code INTEGER NOT NULL REFERENCES regions (code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    cluster TEXT NOT NULL,
    UNIQUE (province_code, code)
);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE schools (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    city_code INTEGER NOT NULL REFERENCES regions (code),
    department_id BIGINT REFERENCES departments (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_schools_city ON schools (city_code);

CREATE TABLE colleges (
    id INTEGER PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (school_id, name_key)
);

CREATE TABLE majors (
    id INTEGER PRIMARY KEY,
    college_id BIGINT NOT NULL REFERENCES colleges (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (college_id, name_key)
);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    gender TEXT,
    birth_date DATE,
    id_card_hash TEXT UNIQUE,
    id_card_cipher BLOB,
    id_card_masked TEXT,
    native_region_code INTEGER REFERENCES regions (code),
    current_city TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_persons_name_key ON persons (name_key);

CREATE TABLE classes (
    id INTEGER PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES schools (id),
    college_id BIGINT REFERENCES colleges (id),
    major_id BIGINT REFERENCES majors (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    enrolment_year INTEGER,
    graduation_year INTEGER,
    head_teacher TEXT,
    head_teacher_role TEXT,
    liaison_person_id BIGINT REFERENCES persons (id),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (school_id, name_key)
);
CREATE INDEX idx_classes_college ON classes (college_id);

CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    school_id BIGINT REFERENCES schools (id),
    received_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE study_records (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    school_id BIGINT NOT NULL REFERENCES schools (id),
    college_id BIGINT REFERENCES colleges (id),
    major_id BIGINT REFERENCES majors (id),
    class_id BIGINT REFERENCES classes (id),
    level TEXT NOT NULL,
    enrolment_year INTEGER,
    graduation_year INTEGER,
    student_no TEXT,
    name_as_reported TEXT NOT NULL,
    source_id BIGINT NOT NULL REFERENCES sources (id),
    source_ref TEXT,
    reported_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_study_records_person ON study_records (person_id);
CREATE INDEX idx_study_records_school_year ON study_records (school_id, graduation_year);
CREATE INDEX idx_study_records_college ON study_records (college_id);
CREATE INDEX idx_study_records_class ON study_records (class_id);

CREATE TABLE contact_points (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    value_key TEXT NOT NULL,
    source_id BIGINT NOT NULL REFERENCES sources (id),
    observed_on DATE,
    verified BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_contact_points_person ON contact_points (person_id);
CREATE INDEX idx_contact_points_key ON contact_points (kind, value_key);

CREATE TABLE enterprises (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    credit_code TEXT UNIQUE,
    region_code INTEGER REFERENCES regions (code),
    city TEXT,
    industry_chain_id BIGINT REFERENCES industry_chains (id),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE enterprise_tags (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, tag)
);

CREATE TABLE employments (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    enterprise_id BIGINT REFERENCES enterprises (id),
    employer_name TEXT NOT NULL,
    title TEXT,
    city TEXT,
    start_year INTEGER,
    end_year INTEGER,
    is_current BOOLEAN NOT NULL,
    source_id BIGINT NOT NULL REFERENCES sources (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_employments_person ON employments (person_id);
CREATE INDEX idx_employments_enterprise ON employments (enterprise_id);

CREATE TABLE talent_profiles (
    person_id BIGINT PRIMARY KEY REFERENCES persons (id),
    category TEXT NOT NULL,
    honours TEXT,
    expertise TEXT,
    summary TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE talent_profile_chains (
    person_id BIGINT NOT NULL REFERENCES talent_profiles (person_id),
    industry_chain_id BIGINT NOT NULL REFERENCES industry_chains (id),
    PRIMARY KEY (person_id, industry_chain_id)
);

CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    school_id BIGINT NOT NULL REFERENCES schools (id),
    kind TEXT NOT NULL,
    start_date DATE,
    end_date DATE,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_appointments_person ON appointments (person_id);

CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
