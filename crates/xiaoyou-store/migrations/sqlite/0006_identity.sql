-- Identity resolution: persons merged into another keep their row (merged_into) so links to
-- them still resolve; every merge remembers the rows it moved, so it can be undone; pairs a
-- person said are different are never proposed again; uncertain pairs wait for review.
ALTER TABLE persons ADD COLUMN merged_into BIGINT REFERENCES persons (id);
CREATE INDEX idx_persons_merged_into ON persons (merged_into);

CREATE TABLE person_merges (
    id INTEGER PRIMARY KEY,
    survivor_id BIGINT NOT NULL REFERENCES persons (id),
    merged_id BIGINT NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL CHECK (kind IN ('auto', 'manual')),
    score DOUBLE PRECISION,
    reasons TEXT,
    id_card_moved BOOLEAN NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    undone_at TIMESTAMPTZ
);
CREATE INDEX idx_person_merges_survivor ON person_merges (survivor_id);
CREATE INDEX idx_person_merges_merged ON person_merges (merged_id);

CREATE TABLE person_merge_moves (
    merge_id BIGINT NOT NULL REFERENCES person_merges (id),
    table_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    PRIMARY KEY (merge_id, table_name, row_id)
);

CREATE TABLE identity_distinct (
    person_a BIGINT NOT NULL REFERENCES persons (id),
    person_b BIGINT NOT NULL REFERENCES persons (id),
    decided_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_a, person_b),
    CHECK (person_a < person_b)
);

CREATE TABLE identity_reviews (
    id INTEGER PRIMARY KEY,
    record_a BIGINT NOT NULL REFERENCES study_records (id),
    record_b BIGINT NOT NULL REFERENCES study_records (id),
    score DOUBLE PRECISION NOT NULL,
    reasons TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'merged', 'distinct', 'stale')),
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by BIGINT REFERENCES users (id)
);
CREATE INDEX idx_identity_reviews_status ON identity_reviews (status, score);
CREATE INDEX idx_identity_reviews_pair ON identity_reviews (record_a, record_b);
