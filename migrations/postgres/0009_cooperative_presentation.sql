-- The cooperative's front page, postgres dialect. Keep in step with
-- migrations/sqlite/0009_cooperative_presentation.sql.

-- What its administrators wrote about it (Markdown-like text, shown sanitised; empty when none
-- was written) and its colour, one of the palette's names (domain::cooperative::Accent; a name
-- this version does not know reads as the default).
ALTER TABLE cooperative ADD COLUMN presentation TEXT NOT NULL DEFAULT '';
ALTER TABLE cooperative ADD COLUMN accent TEXT NOT NULL DEFAULT 'forest';
