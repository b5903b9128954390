-- Federation, SQLite dialect. Keep in step with migrations/postgres/0002_federation.sql.

-- Listings from peered instances live beside ours, so that search, filters and sorts treat them
-- alike: a remote listing has no member_id but an origin (the instance's host[:port]), its
-- ActivityPub id, its author's actor id and the page to link to. SQLite cannot drop a NOT NULL
-- constraint, so the table is rebuilt (its rows keep their seq, which the FTS index refers to).
CREATE TABLE listings_new (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    member_id       TEXT REFERENCES members (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL CHECK (purpose IN ('offer', 'request')),
    mode            TEXT NOT NULL,
    category        TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    quantity_milli  INTEGER,
    unit            TEXT NOT NULL,
    price_cents     INTEGER,
    location_name   TEXT,
    latitude        REAL,
    longitude       REAL,
    available_from  TEXT,
    available_until TEXT,
    status          TEXT NOT NULL CHECK (status IN ('active', 'reserved', 'closed')),
    visibility      TEXT NOT NULL,
    search_text     TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    origin          TEXT,
    ap_id           TEXT UNIQUE,
    remote_author   TEXT,
    origin_url      TEXT,
    CHECK ((member_id IS NULL) = (origin IS NOT NULL))
);
INSERT INTO listings_new (seq, id, member_id, purpose, mode, category, title, description, quantity_milli, unit,
    price_cents, location_name, latitude, longitude, available_from, available_until, status, visibility,
    search_text, created_at, updated_at)
SELECT seq, id, member_id, purpose, mode, category, title, description, quantity_milli, unit,
    price_cents, location_name, latitude, longitude, available_from, available_until, status, visibility,
    search_text, created_at, updated_at FROM listings;
DROP TABLE listings;
ALTER TABLE listings_new RENAME TO listings;
CREATE INDEX listings_created ON listings (created_at);
CREATE INDEX listings_member ON listings (member_id, created_at);
CREATE INDEX listings_category ON listings (category, created_at);
CREATE INDEX listings_position ON listings (latitude, longitude);
CREATE INDEX listings_origin ON listings (origin, seq);
CREATE TRIGGER listings_fts_insert AFTER INSERT ON listings BEGIN
    INSERT INTO listings_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER listings_fts_delete AFTER DELETE ON listings BEGIN
    INSERT INTO listings_fts (listings_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;
CREATE TRIGGER listings_fts_update AFTER UPDATE OF search_text ON listings BEGIN
    INSERT INTO listings_fts (listings_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO listings_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;

-- RSA key pairs of our actors: a member's id, or '@instance' for the instance actor.
CREATE TABLE actor_keys (
    owner           TEXT PRIMARY KEY,
    public_key_pem  TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);

-- Remote actors we have fetched: their keys check signatures, their inboxes receive.
CREATE TABLE remote_actors (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    domain          TEXT NOT NULL,
    username        TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    inbox           TEXT NOT NULL,
    shared_inbox    TEXT,
    outbox          TEXT,
    public_key_pem  TEXT NOT NULL,
    page            TEXT,
    fetched_at      INTEGER NOT NULL
);
CREATE INDEX remote_actors_domain ON remote_actors (domain);

-- Peering with other instances: our Follow of their instance actor (outgoing), theirs of ours
-- (incoming), and whether the domain is blocked.
CREATE TABLE peers (
    domain          TEXT PRIMARY KEY,
    actor_id        TEXT,
    outgoing        TEXT NOT NULL DEFAULT 'none' CHECK (outgoing IN ('none', 'requested', 'accepted', 'rejected')),
    incoming        TEXT NOT NULL DEFAULT 'none' CHECK (incoming IN ('none', 'pending', 'accepted', 'rejected')),
    incoming_follow TEXT,
    blocked         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Remote actors following ours (members, or '@instance'); only accepted ones receive.
CREATE TABLE followers (
    local_actor     TEXT NOT NULL,
    follower        TEXT NOT NULL,
    domain          TEXT NOT NULL,
    inbox           TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    follow_id       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (local_actor, follower)
);
CREATE INDEX followers_follower ON followers (follower);

-- Remote actors our members (or '@instance') follow.
CREATE TABLE following (
    local_actor     TEXT NOT NULL,
    target          TEXT NOT NULL,
    follow_id       TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('requested', 'accepted', 'rejected')),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (local_actor, target)
);

-- The transactional outbox: each activity we send, written with the change that caused it, and
-- one delivery per remote inbox, removed once the inbox has taken it.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id     TEXT NOT NULL UNIQUE,
    signer          TEXT NOT NULL,
    activity        TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_seq      INTEGER NOT NULL REFERENCES outbox (seq) ON DELETE CASCADE,
    domain          TEXT NOT NULL,
    inbox           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (outbox_seq, inbox)
);
CREATE INDEX deliveries_domain ON deliveries (domain, id);

-- Per remote instance: how delivery goes.
CREATE TABLE delivery_state (
    domain          TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL DEFAULT 0,
    failing_since   INTEGER,
    next_attempt_at INTEGER,
    last_success_at INTEGER,
    last_error      TEXT,
    last_error_at   INTEGER,
    dead            INTEGER NOT NULL DEFAULT 0
);

-- Ids of activities received and applied, to ignore duplicates and replays.
CREATE TABLE received_activities (
    id              TEXT PRIMARY KEY,
    received_at     INTEGER NOT NULL
);
CREATE INDEX received_activities_time ON received_activities (received_at);
