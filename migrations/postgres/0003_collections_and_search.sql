-- Collections and search, PostgreSQL dialect. Keep in step with migrations/sqlite/0003_collections_and_search.sql.

-- Outboxes: see the SQLite file.
CREATE INDEX listings_outbox ON listings (visibility, seq) WHERE origin IS NULL AND status <> 'closed';
CREATE INDEX listings_outbox_member ON listings (member_id, visibility, seq) WHERE origin IS NULL AND status <> 'closed';

-- Search: the words of search_text, stored with the row and indexed. Matching on the expression
-- index alone made PostgreSQL compute to_tsvector again for every candidate row at each search.
-- The 'simple' configuration on already accent-free text behaves like SQLite's unicode61
-- tokenizer, so that search gives the same results on both backends. Adding the column rewrites
-- the table once.
ALTER TABLE listings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;
CREATE INDEX listings_search_vector ON listings USING GIN (search_vector);
DROP INDEX listings_search;
