-- Collections and search, SQLite dialect. Keep in step with migrations/postgres/0003_collections_and_search.sql.

-- Outboxes list our open listings of one visibility, newest first, a page at a time from a key
-- (`seq < before`). These partial indexes hold exactly those rows in that order, so a page reads
-- its 50 rows and no more, however many listings are closed, private or from other instances.
-- The outbox queries repeat the WHERE clause word for word: SQLite uses a partial index only then.
CREATE INDEX listings_outbox ON listings (visibility, seq) WHERE origin IS NULL AND status <> 'closed';
CREATE INDEX listings_outbox_member ON listings (member_id, visibility, seq) WHERE origin IS NULL AND status <> 'closed';
