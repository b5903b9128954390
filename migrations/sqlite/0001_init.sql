-- Maillage schema, SQLite dialect. Keep in step with migrations/postgres/0001_init.sql:
-- ids TEXT, times INTEGER unix milliseconds, money INTEGER cents, quantities INTEGER thousandths.

CREATE TABLE members (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('person', 'organisation')),
    display_name    TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    location_name   TEXT,
    latitude        REAL,
    longitude       REAL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'admin')),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX members_status ON members (status, created_at);

CREATE TABLE sessions (
    token_hash      TEXT PRIMARY KEY,
    member_id       TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX sessions_member ON sessions (member_id);

CREATE TABLE listings (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    member_id       TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
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
    -- Lower-case, accent-free title and description (see domain::text::search_form).
    search_text     TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX listings_created ON listings (created_at);
CREATE INDEX listings_member ON listings (member_id, created_at);
CREATE INDEX listings_category ON listings (category, created_at);
CREATE INDEX listings_position ON listings (latitude, longitude);

-- Full-text index over search_text, kept in step by triggers (external-content FTS5 table).
CREATE VIRTUAL TABLE listings_fts USING fts5 (
    search_text,
    content = 'listings',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
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
