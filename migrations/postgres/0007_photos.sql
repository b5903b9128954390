-- Photos, postgres dialect. Keep in step with migrations/sqlite/0007_photos.sql.

-- The images we serve at /media/ID-WIDTH.jpg: ours (uploaded here, source_url NULL) and other
-- servers' (source_url the URL they gave, fetched and encoded again on first view). widths lists
-- the renditions on disk ('320,640,1280'); it is empty for another server's image not fetched yet,
-- whose width and height are then those it announced. bytes is the size of the files, which the
-- instance's storage limit counts (ours) or the cache's (theirs).
CREATE TABLE images (
    id TEXT PRIMARY KEY,
    source_url TEXT UNIQUE,
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    widths TEXT NOT NULL DEFAULT '',
    bytes BIGINT NOT NULL DEFAULT 0,
    fetched_at BIGINT,
    failed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX images_remote ON images (fetched_at) WHERE source_url IS NOT NULL;

-- A listing's photos, in the order shown (position 0 is the cover), each with its alt text.
CREATE TABLE listing_photos (
    listing_id TEXT NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    image_id TEXT NOT NULL REFERENCES images (id),
    position INTEGER NOT NULL,
    alt TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (listing_id, image_id)
);
CREATE INDEX listing_photos_image ON listing_photos (image_id);
