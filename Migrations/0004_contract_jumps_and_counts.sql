-- NonceStore schema, version 4: what other languages need to keep every promise the Swift
-- side keeps, and counters that say what a crash cost them.
--
-- stream_state gains stream_id: a shared stream's cross-process API lock is the byte at
-- offset 2^32 + stream_id of the file `<database>-locks` (an open-file-description lock,
-- F_OFD_SETLK on Linux), so any language can take the same lock.
--
-- Jumps go through the SQL contract like nonces do, so every client records them the same
-- way (a `jump` event, counted in `jumps`), durably with `synchronous = FULL`:
--
--   BEGIN IMMEDIATE;
--   INSERT INTO nonce_jumps (stream, by_ns, requested_at, reason) VALUES (?, ?, ?, ?);
--   SELECT high_water_mark FROM stream_state WHERE stream = ?;   -- the new floor
--   COMMIT;
--
-- The floor becomes max(floor, requested_at) + by_ns; every later nonce is above it.
--
-- unclean_stops counts the times a process took over an exclusive stream whose previous
-- holder had stopped without releasing it (kill -9, a crash, power loss). The nonces that
-- holder issued in its last history flush interval are in no counter and no history row:
-- after an unclean stop, issued_total is a lower bound.

ALTER TABLE streams ADD COLUMN unclean_stops INTEGER NOT NULL DEFAULT 0 CHECK (unclean_stops >= 0);

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
       r.updated_at        AS rate_counter_at,
       s.id                AS stream_id,
       s.unclean_stops
FROM streams AS s LEFT JOIN rate_counters AS r ON r.stream_id = s.id;

CREATE VIEW nonce_jumps AS
SELECT CAST(NULL AS TEXT) AS stream, CAST(NULL AS INTEGER) AS by_ns,
       CAST(NULL AS INTEGER) AS requested_at, CAST(NULL AS TEXT) AS reason
WHERE 0;

CREATE TRIGGER nonce_jumps_apply INSTEAD OF INSERT ON nonce_jumps
BEGIN
    SELECT RAISE(ABORT, 'nonce_jumps: no stream of that name')
    WHERE NOT EXISTS (SELECT 1 FROM streams WHERE name = NEW.stream);
    SELECT RAISE(ABORT, 'nonce_jumps: the stream is exclusive, only the process holding it moves its floor')
    WHERE EXISTS (SELECT 1 FROM streams WHERE name = NEW.stream AND mode <> 'shared');
    SELECT RAISE(ABORT, 'nonce_jumps: by_ns must be a positive integer count of nanoseconds')
    WHERE typeof(NEW.by_ns) <> 'integer' OR NEW.by_ns <= 0;
    SELECT RAISE(ABORT, 'nonce_jumps: requested_at must be an integer count of nanoseconds since the epoch')
    WHERE typeof(NEW.requested_at) <> 'integer' OR NEW.requested_at < 0;
    SELECT RAISE(ABORT, 'nonce_jumps: the jump would pass 2^63-1, the largest nonce')
    FROM streams WHERE name = NEW.stream
      AND NEW.by_ns > 9223372036854775807 - max(last_issued, high_water, NEW.requested_at);

    INSERT INTO events (stream_id, at, kind, detail)
    SELECT id, NEW.requested_at, 'jump',
           'by ' || NEW.by_ns || ' ns from ' || max(last_issued, high_water, NEW.requested_at) || ' to '
               || (max(last_issued, high_water, NEW.requested_at) + NEW.by_ns) || ': ' || coalesce(NEW.reason, '')
    FROM streams WHERE name = NEW.stream;

    UPDATE streams
       SET high_water = max(last_issued, high_water, NEW.requested_at) + NEW.by_ns,
           jumps      = jumps + 1,
           updated_at = NEW.requested_at
     WHERE name = NEW.stream;
END;
