-- The catalogue's order in its indexes, postgres dialect. Keep in step with
-- migrations/sqlite/0015_catalogue_order.sql.

-- The catalogue lists newest first by `seq`; its category filter reads its index,
-- which was ordered by `created_at`, so every listing of the categories asked for was read and
-- sorted to show 50 of them. Ordered by `seq`, the newest of each are read first.
DROP INDEX listings_category;
CREATE INDEX listings_category ON listings (category, seq);
ANALYZE listings;
