-- Two indexed columns are empty for almost every row: a person is merged into another only
-- after identity resolution, and an employment is linked to an enterprise record only when
-- someone links it. Their indexes now hold only the rows that have a value. Every query on
-- them asks for a value (`merged_into = ?`, `merged_into IS NOT NULL`, `enterprise_id IN
-- (…)`), so they serve exactly as before, and an import no longer writes an entry per row.
DROP INDEX idx_persons_merged_into;
CREATE INDEX idx_persons_merged_into ON persons (merged_into) WHERE merged_into IS NOT NULL;
DROP INDEX idx_employments_enterprise;
CREATE INDEX idx_employments_enterprise ON employments (enterprise_id)
    WHERE enterprise_id IS NOT NULL;
