-- NonceStore schema, version 8: nothing below, whatever happens around the file.
--
-- * The file names itself: `application_id` 'NONC' (0x4E4F4E43) in the header, so a
--   NonceStore database is recognised before SQLite opens it for writing, and another
--   program's file is never opened read-write.
-- * `database_location` remembers the path the database was last opened at: a database
--   moved while in use leaves its write-ahead log (its newest commits) at the old path, and
--   a process opening the moved file refuses while that log is there.
-- * Events that move a floor (jump, import, copy, floor_repair, history_adopted) carry it
--   in `floor`, and the floor counts it as it counts history: state and history lowered
--   or deleted by hand no longer take the floor down with them.
-- * The SQL contract refuses a `requested_at` more than a day ahead of the database's own
--   clock (a wrong clock or unit would otherwise push the stream towards 2^63-1 for good)
--   and a label over 1,000 characters.

PRAGMA application_id = 1313820227;

CREATE TABLE database_location (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    path        TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL
);

ALTER TABLE events ADD COLUMN floor INTEGER CHECK (floor IS NULL OR floor > 0);
-- Jumps recorded before this version say their floor in the text: 'by N ns from A to B: ...'.
UPDATE events
   SET floor = CAST(substr(detail, instr(detail, ' to ') + 4,
                           instr(substr(detail, instr(detail, ' to ') + 4), ':') - 1) AS INTEGER)
 WHERE kind = 'jump' AND detail LIKE 'by % ns from % to %:%'
   AND CAST(substr(detail, instr(detail, ' to ') + 4,
                   instr(substr(detail, instr(detail, ' to ') + 4), ':') - 1) AS INTEGER) > 0;
CREATE INDEX events_stream_floor ON events (stream_id, floor) WHERE floor IS NOT NULL;

DROP VIEW nonce_events;
CREATE VIEW nonce_events AS
SELECT s.name AS stream, e.at, e.kind, e.detail, e.floor
FROM events AS e JOIN streams AS s ON s.id = e.stream_id;

DROP TRIGGER nonce_requests_issue;
CREATE TRIGGER nonce_requests_issue INSTEAD OF INSERT ON nonce_requests
BEGIN
    SELECT RAISE(ABORT, 'nonce_requests: no stream of that name (create it with: nonce stream create NAME --shared)')
    WHERE NOT EXISTS (SELECT 1 FROM streams WHERE name = NEW.stream);
    SELECT RAISE(ABORT, 'nonce_requests: the stream is exclusive, only the process holding it issues its nonces (switch it with: nonce stream set-mode NAME shared)')
    WHERE EXISTS (SELECT 1 FROM streams WHERE name = NEW.stream AND mode <> 'shared');
    SELECT RAISE(ABORT, 'nonce_requests: requested_at must be an integer count of nanoseconds since the epoch')
    WHERE NEW.requested_at IS NOT NULL AND (typeof(NEW.requested_at) <> 'integer' OR NEW.requested_at < 0);
    SELECT RAISE(ABORT, 'nonce_requests: requested_at is more than a day ahead of the database''s clock: the caller''s clock or unit is wrong (it must be nanoseconds since the epoch)')
    WHERE NEW.requested_at > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000 + 86400000000000;
    SELECT RAISE(ABORT, 'nonce_requests: label is longer than 1000 characters')
    WHERE length(NEW.label) > 1000;

    -- The repair: history or an event records a floor above the state row.
    INSERT INTO events (stream_id, at, kind, detail, floor)
    SELECT s.id, coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000),
           'floor_repair',
           'history and events record ' || r.top || ', above last_issued ' || s.last_issued || ' and the high-water mark '
               || s.high_water_mark || ': issuing continues above ' || r.top,
           r.top
    FROM streams AS s,
         (SELECT max(coalesce((SELECT max(nonce) FROM history WHERE stream_id = x.id), 0),
                     coalesce((SELECT max(floor) FROM events WHERE stream_id = x.id AND floor IS NOT NULL), 0)) AS top
          FROM streams AS x WHERE x.name = NEW.stream) AS r
    WHERE s.name = NEW.stream AND r.top > max(s.last_issued, s.high_water_mark);
    UPDATE streams
       SET last_issued = max(coalesce((SELECT max(nonce) FROM history WHERE stream_id = streams.id), 0),
                             coalesce((SELECT max(floor) FROM events WHERE stream_id = streams.id AND floor IS NOT NULL), 0)),
           floor_repairs = floor_repairs + 1
     WHERE name = NEW.stream
       AND max(coalesce((SELECT max(nonce) FROM history WHERE stream_id = streams.id), 0),
               coalesce((SELECT max(floor) FROM events WHERE stream_id = streams.id AND floor IS NOT NULL), 0))
           > max(last_issued, high_water_mark);

    SELECT RAISE(ABORT, 'nonce_requests: the stream has reached 2^63-1, the largest nonce')
    FROM streams WHERE name = NEW.stream AND max(last_issued, high_water_mark) >= 9223372036854775807;

    UPDATE streams
       SET last_issued  = max(coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000),
                              last_issued + 1, high_water_mark + 1),
           high_water_mark = max(coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000),
                              last_issued + 1, high_water_mark + 1),
           issued_total = issued_total + 1,
           updated_at   = coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000)
     WHERE name = NEW.stream;

    INSERT INTO history (stream_id, nonce, issued_at, pid, label)
    SELECT id, last_issued, updated_at, coalesce(NEW.pid, 0), NEW.label
    FROM streams WHERE name = NEW.stream;
END;

DROP TRIGGER nonce_jumps_apply;
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
    SELECT RAISE(ABORT, 'nonce_jumps: requested_at is more than a day ahead of the database''s clock: the caller''s clock or unit is wrong (it must be nanoseconds since the epoch)')
    WHERE NEW.requested_at > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000 + 86400000000000;
    SELECT RAISE(ABORT, 'nonce_jumps: the jump would pass 2^63-1, the largest nonce')
    FROM streams WHERE name = NEW.stream
      AND NEW.by_ns > 9223372036854775807 - max(last_issued, high_water_mark, NEW.requested_at);

    INSERT INTO events (stream_id, at, kind, detail, floor)
    SELECT id, NEW.requested_at, 'jump',
           'by ' || NEW.by_ns || ' ns from ' || max(last_issued, high_water_mark, NEW.requested_at) || ' to '
               || (max(last_issued, high_water_mark, NEW.requested_at) + NEW.by_ns) || ': ' || coalesce(NEW.reason, ''),
           max(last_issued, high_water_mark, NEW.requested_at) + NEW.by_ns
    FROM streams WHERE name = NEW.stream;

    UPDATE streams
       SET high_water_mark = max(last_issued, high_water_mark, NEW.requested_at) + NEW.by_ns,
           jumps      = jumps + 1,
           updated_at = NEW.requested_at
     WHERE name = NEW.stream;
END;
