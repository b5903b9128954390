-- Positions given by the address server of `[geocoding]`, postgres dialect. Keep in step with
-- migrations/sqlite/0010_geocoded_places.sql.

-- One row per text looked up (in search form: lower case, no accents or punctuation), so that a
-- text is sent to the server once, and so that a form knows a position found from its place's
-- name (and shows the name alone).
CREATE TABLE geocoded_places (
    query       TEXT PRIMARY KEY,
    latitude    DOUBLE PRECISION NOT NULL,
    longitude   DOUBLE PRECISION NOT NULL,
    found_at    BIGINT NOT NULL
);
