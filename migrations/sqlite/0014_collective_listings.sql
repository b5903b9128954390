-- Listings published to a collective, sqlite dialect. Keep in step with migrations/postgres/0014_collective_listings.sql.

-- A listing of visibility `collective` names the collective it is published to (one hosted here,
-- or our copy of another instance's): its members alone see it. Collectives are never deleted, so
-- the reference stays good.
ALTER TABLE listings ADD COLUMN collective_id TEXT REFERENCES collectives (id);
CREATE INDEX listings_collective ON listings (collective_id, seq) WHERE collective_id IS NOT NULL;
