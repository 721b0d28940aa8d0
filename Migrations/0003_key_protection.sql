-- NonceStore schema, version 3: what protects the key beyond counting.
--
-- Rejections: consecutive "invalid nonce" answers move the stream forward on a schedule;
-- the count survives restarts and is shared by every process on the stream.
-- Rate counters: a model of the exchange's per-key call counter (raised by each call's
-- cost, decaying continuously), kept here so that every process on a key, and every
-- restart, sees the same counter.

ALTER TABLE streams ADD COLUMN rejections_in_a_row INTEGER NOT NULL DEFAULT 0 CHECK (rejections_in_a_row >= 0);
ALTER TABLE streams ADD COLUMN rejections_total INTEGER NOT NULL DEFAULT 0 CHECK (rejections_total >= 0);

CREATE TABLE rate_counters (
    stream_id  INTEGER PRIMARY KEY REFERENCES streams (id),
    -- The counter's value at updated_at (it decays from there).
    level      REAL    NOT NULL CHECK (level >= 0),
    updated_at INTEGER NOT NULL
);

DROP VIEW stream_state;
CREATE VIEW stream_state AS
SELECT s.name              AS stream,
       s.mode,
       s.last_issued,
       s.high_water        AS high_water_mark,
       s.issued_total,
       s.mark_renewals,
       s.clock_regressions,
       s.jumps,
       s.holder_pid,
       s.created_at,
       s.updated_at,
       s.rejections_in_a_row,
       s.rejections_total,
       r.level             AS rate_counter,
       r.updated_at        AS rate_counter_at
FROM streams AS s LEFT JOIN rate_counters AS r ON r.stream_id = s.id;
