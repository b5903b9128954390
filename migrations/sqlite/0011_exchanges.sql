-- Exchanges between members, sqlite dialect. Keep in step with migrations/postgres/0011_exchanges.sql.

-- An exchange about one listing (server/src/domain/exchange.rs), kept by each instance one of its
-- parties is on. A party of ours is a member (provider_member, receiver_member); every party has its
-- actor id (provider_actor, receiver_actor), which is how the other instance names it. The listing is
-- referred to, not owned: its title, mode and unit are kept, so that the exchange stays readable
-- when the listing is deleted or a peering that brought it ends.
CREATE TABLE exchanges (
    id                TEXT PRIMARY KEY,
    ap_id             TEXT NOT NULL UNIQUE,
    listing_id        TEXT NOT NULL,
    listing_ap_id     TEXT NOT NULL,
    listing_title     TEXT NOT NULL,
    mode              TEXT NOT NULL CHECK (mode IN ('lend', 'give', 'swap', 'sell', 'service', 'share')),
    unit              TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('question', 'proposed', 'accepted', 'handed_over',
                          'delivered', 'done', 'completed', 'refused', 'cancelled')),
    version           INTEGER NOT NULL CHECK (version >= 1),
    started_by        TEXT NOT NULL CHECK (started_by IN ('provider', 'receiver')),
    provider_member   TEXT REFERENCES members (id) ON DELETE CASCADE,
    provider_actor    TEXT NOT NULL,
    receiver_member   TEXT REFERENCES members (id) ON DELETE CASCADE,
    receiver_actor    TEXT NOT NULL,
    quantity_milli    INTEGER,
    from_date         TEXT,
    until_date        TEXT,
    at_time           TEXT,
    in_return         TEXT NOT NULL DEFAULT '',
    proposed_by       TEXT CHECK (proposed_by IN ('provider', 'receiver')),
    renewal_until     TEXT,
    provider_done_at  INTEGER,
    ended_by          TEXT CHECK (ended_by IN ('provider', 'receiver')),
    reason            TEXT NOT NULL DEFAULT '',
    settlement        TEXT NOT NULL CHECK (settlement IN ('none', 'euros', 'credit')),
    price_cents       INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    -- Between instances, the listing's hosts the exchange: it applies every move and tells the
    -- other party's instance. The last Offer of the agreement (ours or theirs), which an Accept or
    -- a Reject answers; and a move our member made on an exchange hosted elsewhere, with the
    -- activity that asked for it, shown as waiting until the host has applied it.
    offer_ap_id       TEXT,
    pending_move      TEXT,
    pending_activity  TEXT,
    CHECK (provider_member IS NOT NULL OR receiver_member IS NOT NULL),
    CHECK (provider_actor <> receiver_actor)
);
-- « Mes échanges »: a member's, newest change first.
CREATE INDEX exchanges_provider ON exchanges (provider_member, updated_at) WHERE provider_member IS NOT NULL;
CREATE INDEX exchanges_receiver ON exchanges (receiver_member, updated_at) WHERE receiver_member IS NOT NULL;
-- What a listing has reserved and which dates its loans take.
CREATE INDEX exchanges_listing ON exchanges (listing_id, state);

-- An exchange's conversation: the parties' messages and a line per move, in order.
CREATE TABLE exchange_entries (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    exchange_id     TEXT NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
    -- The activity that brought it, for an entry received from the other instance (received once).
    ap_id           TEXT UNIQUE,
    author          TEXT NOT NULL CHECK (author IN ('provider', 'receiver')),
    -- 'message', or the name of the move (domain::exchange::Move::name).
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    -- The exchange's version the move made; NULL for a message.
    version         INTEGER,
    -- The terms a proposal, a counter-proposal or a renewal named, as they were.
    quantity_milli  INTEGER,
    from_date       TEXT,
    until_date      TEXT,
    at_time         TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX exchange_entries_exchange ON exchange_entries (exchange_id, seq);

-- Moves from the host that arrived before the one they follow (a version more than one ahead):
-- kept until the missing one comes, then applied in order.
CREATE TABLE exchange_early_moves (
    exchange_id  TEXT NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    activity     TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (exchange_id, version)
);
