-- An ID number stays unique among persons, but only persons who have one are entered in the
-- unique index. Most rosters carry no ID numbers, and the column constraint gave every such
-- person an index entry holding nothing. (Named uq_, not idx_: a constraint, never set aside
-- while a large roster is loaded.)
ALTER TABLE persons DROP CONSTRAINT persons_id_card_hash_key;
CREATE UNIQUE INDEX uq_persons_id_card_hash ON persons (id_card_hash)
    WHERE id_card_hash IS NOT NULL;
