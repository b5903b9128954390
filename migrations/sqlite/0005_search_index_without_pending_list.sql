-- Search index, SQLite dialect. Keep in step with migrations/postgres/0005_search_index_without_pending_list.sql.

-- Nothing to change here: the PostgreSQL step turns off the pending list of its GIN index, which
-- SQLite's full-text index does not have. The step exists in both dialects so that both schemas
-- carry the same version numbers.
SELECT 1;
