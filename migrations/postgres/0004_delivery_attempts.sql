-- How many times each delivery failed: after a few, the next delivery to the same server is tried
-- to tell a server that is down from one that refuses only this activity (which is then given up).
ALTER TABLE deliveries ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;

-- When a server waiting for its next delivery attempt was last probed (is it back?).
ALTER TABLE delivery_state ADD COLUMN last_probe_at BIGINT;
