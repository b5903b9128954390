-- The catalogue's order in its indexes, sqlite dialect. Keep in step with
-- migrations/postgres/0015_catalogue_order.sql.

-- The catalogue lists newest first by `seq`; its category filter reads its index, and
-- the index was ordered by `created_at`: every listing of the categories asked for was read and
-- sorted to show 50 of them (63 ms for « Matériaux » and its 8 sub-categories at 100,000 listings).
-- Ordered by `seq`, the first 51 of each category are read (0.2 ms).
DROP INDEX listings_category;
CREATE INDEX listings_category ON listings (category, seq);
-- The planner's statistics for the new index, now rather than at the next hourly upkeep.
ANALYZE listings;
