-- Search index, PostgreSQL dialect. Keep in step with migrations/sqlite/0005_search_index_without_pending_list.sql.

-- A GIN index normally gathers new entries in an unsorted "pending list" and merges them later
-- (at vacuum, or when the list outgrows gin_pending_list_limit). Every search scans the whole
-- pending list: measured on 100,000 listings just after they were written, 372 pending pages made
-- each word lookup take 3.4 ms instead of 0.3 ms. Listings are written far less often than they are
-- searched, so each write updates the index in place, and what is pending now is merged.
ALTER INDEX listings_search_vector SET (fastupdate = off);
SELECT gin_clean_pending_list('listings_search_vector');
