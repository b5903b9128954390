-- Collectives, postgres dialect. Keep in step with migrations/sqlite/0013_collectives.sql.

-- A collective hosted here (`origin` NULL), or our copy of one hosted by another instance (`origin`
-- its host, `ap_id` its Group's id). Names are unique among the collectives hosted here (and apart
-- from members' usernames: `storage::collectives::insert` checks both in one statement).
CREATE TABLE collectives (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    origin           TEXT,
    ap_id            TEXT UNIQUE,
    display_name     TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    activities       TEXT NOT NULL DEFAULT '',
    territory        TEXT NOT NULL DEFAULT '',
    entry_criteria   TEXT NOT NULL DEFAULT '',
    questions        TEXT NOT NULL DEFAULT '[]',
    admission        TEXT NOT NULL CHECK (admission IN ('open', 'approval', 'invitation')),
    visibility       TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    charter_version  BIGINT NOT NULL CHECK (charter_version >= 1),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CHECK ((origin IS NULL) = (ap_id IS NULL))
);
CREATE UNIQUE INDEX collectives_local_name ON collectives (name) WHERE origin IS NULL;

-- Every version of a collective's charter: a change makes a new one, the older ones stay readable.
CREATE TABLE collective_charters (
    collective_id  TEXT NOT NULL REFERENCES collectives (id) ON DELETE CASCADE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    text           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (collective_id, version)
);

-- Where one person (`actor`: their ActivityPub id; `member_id` when they are a member here) stands
-- with one collective: a request, an invitation, a member with their role and the charter version
-- they accepted, or someone refused, gone or excluded (kept: who was excluded does not come back
-- by asking again, and the reason stays readable to them).
CREATE TABLE collective_members (
    id               TEXT PRIMARY KEY,
    collective_id    TEXT NOT NULL REFERENCES collectives (id) ON DELETE CASCADE,
    actor            TEXT NOT NULL,
    member_id        TEXT REFERENCES members (id) ON DELETE CASCADE,
    state            TEXT NOT NULL CHECK (state IN ('requested', 'invited', 'member', 'refused', 'left', 'removed')),
    role             TEXT NOT NULL CHECK (role IN ('administrator', 'moderator', 'member')),
    charter_version  BIGINT,
    message          TEXT NOT NULL DEFAULT '',
    answers          TEXT NOT NULL DEFAULT '[]',
    reason           TEXT NOT NULL DEFAULT '',
    since            BIGINT,
    decided_by       TEXT,
    activity_id      TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (collective_id, actor)
);
CREATE INDEX collective_members_state ON collective_members (collective_id, state);
CREATE INDEX collective_members_member ON collective_members (member_id) WHERE member_id IS NOT NULL;
CREATE INDEX collective_members_actor ON collective_members (actor);
