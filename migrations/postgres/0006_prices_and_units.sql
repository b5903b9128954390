-- Prices that say what they are for, postgres dialect. Keep in step with migrations/sqlite/0006_prices_and_units.sql.

-- What a price asks: nothing, a fixed amount, what the receiver can pay (« prix libre », price_cents
-- then being the suggested amount, if any), or a fixed amount with a reduced one for members who
-- qualify (« prix solidaire »). price_basis says whether the amounts are for the whole listing or
-- for each unit of its quantity.
ALTER TABLE listings ADD COLUMN price_kind TEXT NOT NULL DEFAULT 'free'
    CHECK (price_kind IN ('free', 'fixed', 'pay_what_you_can', 'solidarity'));
ALTER TABLE listings ADD COLUMN reduced_price_cents BIGINT CHECK (reduced_price_cents > 0);
ALTER TABLE listings ADD COLUMN price_basis TEXT NOT NULL DEFAULT 'total'
    CHECK (price_basis IN ('total', 'per_unit'));

-- Until now a price was a fixed amount for the whole listing, and no price meant free.
UPDATE listings SET price_kind = 'fixed' WHERE price_cents > 0;
UPDATE listings SET price_cents = NULL WHERE price_cents = 0;

-- Services are counted in time, not pieces.
UPDATE listings SET unit = 'session' WHERE mode = 'service' AND unit NOT IN ('hour', 'session', 'day');
