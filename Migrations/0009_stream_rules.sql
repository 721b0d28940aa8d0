-- NonceStore schema, version 9: the nonce rules belong to the stream.
--
-- * `unit`: what one step of the stream's nonce is worth: 's', 'ms', 'us', '10ns' or 'ns'
--   (every stream before this version, and the default). A nonce is
--   max(now in the unit, last + 1); `requested_at` and every time column stay nanoseconds.
-- * `max_nonce`: the stream's ceiling (NULL: 2^63-1). Nothing above it is issued, leased or
--   jumped to; the SQL contract refuses with a message naming it.
-- * `exchange`: the preset the stream was created from (informational).
-- * `nonce_units` holds each unit's size, for the SQL contract's arithmetic and for people.
-- * Two event kinds: `unit` (a stream moved to a finer unit, its floor multiplied) and
--   `ceiling_near` (the stream came within a year, or 1%, of its ceiling).

CREATE TABLE nonce_units (
    unit        TEXT    PRIMARY KEY,
    ns_per_unit INTEGER NOT NULL CHECK (ns_per_unit > 0)
) WITHOUT ROWID;
INSERT INTO nonce_units (unit, ns_per_unit) VALUES
    ('s', 1000000000), ('ms', 1000000), ('us', 1000), ('10ns', 10), ('ns', 1);

ALTER TABLE streams ADD COLUMN unit TEXT NOT NULL DEFAULT 'ns' CHECK (unit IN ('s', 'ms', 'us', '10ns', 'ns'));
ALTER TABLE streams ADD COLUMN max_nonce INTEGER CHECK (max_nonce IS NULL OR max_nonce > 0);
ALTER TABLE streams ADD COLUMN exchange TEXT CHECK (exchange IS NULL OR length(exchange) BETWEEN 1 AND 64);

-- SQLite cannot change a CHECK constraint in place: the events table is rebuilt, as in
-- versions 6 and 7, keeping its floor column and index.
CREATE TABLE events_checked (
    id        INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL REFERENCES streams (id),
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('jump', 'clock_regression', 'import', 'mode', 'rejection',
                                              'recovered', 'unclean_stop', 'floor_repair', 'history_adopted', 'prune',
                                              'copy', 'unit', 'ceiling_near')),
    detail    TEXT    NOT NULL DEFAULT '',
    floor     INTEGER CHECK (floor IS NULL OR floor > 0)
);
INSERT INTO events_checked (id, stream_id, at, kind, detail, floor) SELECT id, stream_id, at, kind, detail, floor FROM events;
DROP VIEW nonce_events;
DROP TABLE events;
PRAGMA legacy_alter_table = ON;
ALTER TABLE events_checked RENAME TO events;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX events_stream_at ON events (stream_id, at);
CREATE INDEX events_stream_floor ON events (stream_id, floor) WHERE floor IS NOT NULL;
CREATE VIEW nonce_events AS
SELECT s.name AS stream, e.at, e.kind, e.detail, e.floor
FROM events AS e JOIN streams AS s ON s.id = e.stream_id;

DROP VIEW stream_state;
CREATE VIEW stream_state AS
SELECT s.name              AS stream,
       s.mode,
       s.last_issued,
       s.high_water_mark,
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
       s.unclean_stops,
       s.floor_repairs,
       s.unit,
       s.max_nonce,
       s.exchange
FROM streams AS s LEFT JOIN rate_counters AS r ON r.stream_id = s.id;

-- The SQL contract issues in the stream's unit: the caller's clock (nanoseconds) divided by
-- the unit's size, never below last + 1, never above the ceiling.
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

    SELECT RAISE(ABORT, 'nonce_requests: the stream has reached its ceiling (max_nonce, or 2^63-1): no larger nonce may be issued; a new API key and a new stream are the way on')
    FROM streams WHERE name = NEW.stream
      AND max(last_issued, high_water_mark,
              coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000)
                  / (SELECT ns_per_unit FROM nonce_units WHERE nonce_units.unit = streams.unit) - 1)
          >= coalesce(max_nonce, 9223372036854775807);

    UPDATE streams
       SET last_issued  = max(coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000)
                                  / (SELECT ns_per_unit FROM nonce_units WHERE nonce_units.unit = streams.unit),
                              last_issued + 1, high_water_mark + 1),
           high_water_mark = max(coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000)
                                  / (SELECT ns_per_unit FROM nonce_units WHERE nonce_units.unit = streams.unit),
                              last_issued + 1, high_water_mark + 1),
           issued_total = issued_total + 1,
           updated_at   = coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000)
     WHERE name = NEW.stream;

    INSERT INTO history (stream_id, nonce, issued_at, pid, label)
    SELECT id, last_issued, updated_at, coalesce(NEW.pid, 0), NEW.label
    FROM streams WHERE name = NEW.stream;
END;

-- A jump of `by_ns` nanoseconds moves the floor by as many of the stream's units, rounded
-- up (60 s is 60,000 on a ms stream), from max(floor, now in the unit).
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
    SELECT RAISE(ABORT, 'nonce_jumps: the jump would pass the stream''s ceiling (max_nonce, or 2^63-1)')
    FROM streams JOIN nonce_units ON nonce_units.unit = streams.unit
    WHERE name = NEW.stream
      AND NEW.by_ns / ns_per_unit + (NEW.by_ns % ns_per_unit > 0)
          > coalesce(max_nonce, 9223372036854775807) - max(last_issued, high_water_mark, NEW.requested_at / ns_per_unit);

    INSERT INTO events (stream_id, at, kind, detail, floor)
    SELECT id, NEW.requested_at, 'jump',
           'by ' || NEW.by_ns || ' ns (' || (NEW.by_ns / ns_per_unit + (NEW.by_ns % ns_per_unit > 0)) || ' ' || streams.unit
               || ') from ' || max(last_issued, high_water_mark, NEW.requested_at / ns_per_unit) || ' to '
               || (max(last_issued, high_water_mark, NEW.requested_at / ns_per_unit) + NEW.by_ns / ns_per_unit
                   + (NEW.by_ns % ns_per_unit > 0)) || ': ' || coalesce(NEW.reason, ''),
           max(last_issued, high_water_mark, NEW.requested_at / ns_per_unit) + NEW.by_ns / ns_per_unit + (NEW.by_ns % ns_per_unit > 0)
    FROM streams JOIN nonce_units ON nonce_units.unit = streams.unit WHERE name = NEW.stream;

    UPDATE streams
       SET high_water_mark = max(last_issued, high_water_mark,
                                 NEW.requested_at / (SELECT ns_per_unit FROM nonce_units WHERE nonce_units.unit = streams.unit))
                             + NEW.by_ns / (SELECT ns_per_unit FROM nonce_units WHERE nonce_units.unit = streams.unit)
                             + (NEW.by_ns % (SELECT ns_per_unit FROM nonce_units WHERE nonce_units.unit = streams.unit) > 0),
           jumps      = jumps + 1,
           updated_at = NEW.requested_at
     WHERE name = NEW.stream;
END;
