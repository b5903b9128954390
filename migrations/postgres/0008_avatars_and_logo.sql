-- Avatars and the cooperative's logo, postgres dialect. Keep in step with
-- migrations/sqlite/0008_avatars_and_logo.sql.

-- What an image is for, which decides the sizes it is kept at: a listing's photo, an avatar (cut
-- square) or a logo.
ALTER TABLE images ADD COLUMN kind TEXT NOT NULL DEFAULT 'photo' CHECK (kind IN ('photo', 'avatar', 'logo'));

-- A member's picture, uploaded here.
ALTER TABLE members ADD COLUMN avatar_id TEXT REFERENCES images (id);
CREATE INDEX members_avatar ON members (avatar_id) WHERE avatar_id IS NOT NULL;

-- Another server's actor's `icon`, as it gave it; the image that shows it is the one whose
-- source_url it is (fetched and encoded again on first view, like other servers' photos).
ALTER TABLE remote_actors ADD COLUMN icon_url TEXT;
CREATE INDEX remote_actors_icon ON remote_actors (icon_url) WHERE icon_url IS NOT NULL;

-- The cooperative as this instance presents it: one row.
CREATE TABLE cooperative (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    logo_id TEXT REFERENCES images (id),
    updated_at BIGINT NOT NULL
);
INSERT INTO cooperative (id, logo_id, updated_at) VALUES (1, NULL, 0);
