-- Members' notifications, sqlite dialect. Keep in step with migrations/postgres/0012_notifications.sql.

-- The address a member's notifications go to (never shown to anyone), whether they want them, and
-- the secret of their calendar feed (a member's loans and bookings as iCalendar).
ALTER TABLE members ADD COLUMN email TEXT;
ALTER TABLE members ADD COLUMN notify_by_email INTEGER NOT NULL DEFAULT 1;
ALTER TABLE members ADD COLUMN calendar_token TEXT;
CREATE UNIQUE INDEX members_calendar_token ON members (calendar_token) WHERE calendar_token IS NOT NULL;

-- Emails to send, written in the transaction of what they tell (a lost email is not a lost
-- exchange, but nothing is told twice or forgotten across a restart); removed once sent.
CREATE TABLE outgoing_emails (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id        TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outgoing_emails_due ON outgoing_emails (next_attempt_at);

-- The loan reminders sent: the due date a « due tomorrow » reminder and an « overdue » notice were
-- sent for (a renewal moves the date, and they are sent again for the new one).
ALTER TABLE exchanges ADD COLUMN reminded_due TEXT;
ALTER TABLE exchanges ADD COLUMN reminded_overdue TEXT;
