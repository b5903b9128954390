-- Collections and search, PostgreSQL dialect. Keep in step with migrations/sqlite/0003_collections_and_search.sql.

-- Outboxes: see the SQLite file.
CREATE INDEX listings_outbox ON listings (visibility, seq) WHERE origin IS NULL AND status <> 'closed';
CREATE INDEX listings_outbox_member ON listings (member_id, visibility, seq) WHERE origin IS NULL AND status <> 'closed';
