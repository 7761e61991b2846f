-- Search: an ordered change feed that every instance's search index follows, filled by
-- triggers so that every write path (imports, pages, identity merges, the command line) is
-- caught; and saved segments (a named search with its filters).
--
-- An entry names what changed: a person, an enterprise, or an organisation node whose name
-- appears on its people's documents (school, college, major, class). Followers turn entries
-- into the persons to re-read. Entries are kept for a bounded number of sequence numbers; an
-- index whose position has fallen out of the kept window is rebuilt.
CREATE TABLE search_changes (
    seq INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL
);

CREATE TRIGGER search_feed_persons_ins AFTER INSERT ON persons
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.id); END;
CREATE TRIGGER search_feed_persons_upd AFTER UPDATE ON persons
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.id); END;
CREATE TRIGGER search_feed_persons_del AFTER DELETE ON persons
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', OLD.id); END;

CREATE TRIGGER search_feed_study_records_ins AFTER INSERT ON study_records
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id); END;
CREATE TRIGGER search_feed_study_records_upd AFTER UPDATE ON study_records
BEGIN
    INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id);
    INSERT INTO search_changes (entity, entity_id)
        SELECT 'person', OLD.person_id WHERE OLD.person_id <> NEW.person_id;
END;
CREATE TRIGGER search_feed_study_records_del AFTER DELETE ON study_records
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', OLD.person_id); END;

CREATE TRIGGER search_feed_contact_points_ins AFTER INSERT ON contact_points
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id); END;
CREATE TRIGGER search_feed_contact_points_upd AFTER UPDATE ON contact_points
BEGIN
    INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id);
    INSERT INTO search_changes (entity, entity_id)
        SELECT 'person', OLD.person_id WHERE OLD.person_id <> NEW.person_id;
END;
CREATE TRIGGER search_feed_contact_points_del AFTER DELETE ON contact_points
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', OLD.person_id); END;

CREATE TRIGGER search_feed_employments_ins AFTER INSERT ON employments
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id); END;
CREATE TRIGGER search_feed_employments_upd AFTER UPDATE ON employments
BEGIN
    INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id);
    INSERT INTO search_changes (entity, entity_id)
        SELECT 'person', OLD.person_id WHERE OLD.person_id <> NEW.person_id;
END;
CREATE TRIGGER search_feed_employments_del AFTER DELETE ON employments
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', OLD.person_id); END;

CREATE TRIGGER search_feed_talent_profiles_ins AFTER INSERT ON talent_profiles
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id); END;
CREATE TRIGGER search_feed_talent_profiles_upd AFTER UPDATE ON talent_profiles
BEGIN
    INSERT INTO search_changes (entity, entity_id) VALUES ('person', NEW.person_id);
    INSERT INTO search_changes (entity, entity_id)
        SELECT 'person', OLD.person_id WHERE OLD.person_id <> NEW.person_id;
END;
CREATE TRIGGER search_feed_talent_profiles_del AFTER DELETE ON talent_profiles
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('person', OLD.person_id); END;

CREATE TRIGGER search_feed_enterprises_ins AFTER INSERT ON enterprises
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('enterprise', NEW.id); END;
CREATE TRIGGER search_feed_enterprises_upd AFTER UPDATE ON enterprises
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('enterprise', NEW.id); END;
CREATE TRIGGER search_feed_enterprises_del AFTER DELETE ON enterprises
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('enterprise', OLD.id); END;

CREATE TRIGGER search_feed_enterprise_tags_ins AFTER INSERT ON enterprise_tags
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('enterprise', NEW.enterprise_id); END;
CREATE TRIGGER search_feed_enterprise_tags_del AFTER DELETE ON enterprise_tags
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('enterprise', OLD.enterprise_id); END;

CREATE TRIGGER search_feed_schools_upd AFTER UPDATE ON schools
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('school', NEW.id); END;
CREATE TRIGGER search_feed_colleges_upd AFTER UPDATE ON colleges
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('college', NEW.id); END;
CREATE TRIGGER search_feed_majors_upd AFTER UPDATE ON majors
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('major', NEW.id); END;
CREATE TRIGGER search_feed_classes_upd AFTER UPDATE ON classes
BEGIN INSERT INTO search_changes (entity, entity_id) VALUES ('class', NEW.id); END;

-- A saved search: the owner's name for it, the words typed and the facet filters (JSON).
-- Whoever runs it sees it through their own scope.
CREATE TABLE search_segments (
    id INTEGER PRIMARY KEY,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    filters TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_search_segments_owner ON search_segments (owner_user_id, updated_at);
