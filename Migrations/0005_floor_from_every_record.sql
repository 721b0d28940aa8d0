-- NonceStore schema, version 5: the floor comes from every record, not from one row.
--
-- A stream's floor is the largest of last_issued, the high-water mark and the largest
-- nonce in its history (an index lookup on history_stream_nonce). A state row lowered by
-- hand or by a damaged page is repaired before the next nonce: last_issued rises to the
-- history's largest nonce, floor_repairs counts it and a floor_repair event says what
-- disagreed. A stream that still has history cannot be deleted: its nonces would be
-- forgotten and a new stream of that name would start from the clock, below them.

ALTER TABLE streams ADD COLUMN floor_repairs INTEGER NOT NULL DEFAULT 0;

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
       s.unclean_stops,
       s.floor_repairs
FROM streams AS s LEFT JOIN rate_counters AS r ON r.stream_id = s.id;

CREATE TRIGGER streams_keep_history BEFORE DELETE ON streams
WHEN EXISTS (SELECT 1 FROM history WHERE stream_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'streams: a stream with history cannot be deleted, its nonces would be forgotten (delete its history first, knowing that the exchange may still hold them)');
END;

DROP TRIGGER nonce_requests_issue;
CREATE TRIGGER nonce_requests_issue INSTEAD OF INSERT ON nonce_requests
BEGIN
    SELECT RAISE(ABORT, 'nonce_requests: no stream of that name (create it with: nonce stream create NAME --shared)')
    WHERE NOT EXISTS (SELECT 1 FROM streams WHERE name = NEW.stream);
    SELECT RAISE(ABORT, 'nonce_requests: the stream is exclusive, only the process holding it issues its nonces (switch it with: nonce stream set-mode NAME shared)')
    WHERE EXISTS (SELECT 1 FROM streams WHERE name = NEW.stream AND mode <> 'shared');
    SELECT RAISE(ABORT, 'nonce_requests: requested_at must be an integer count of nanoseconds since the epoch')
    WHERE NEW.requested_at IS NOT NULL AND (typeof(NEW.requested_at) <> 'integer' OR NEW.requested_at < 0);

    -- The repair: history holds a nonce above the state row.
    INSERT INTO events (stream_id, at, kind, detail)
    SELECT s.id, coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000),
           'floor_repair',
           'history holds ' || h.top || ', above last_issued ' || s.last_issued || ' and the high-water mark '
               || s.high_water || ': issuing continues above ' || h.top
    FROM streams AS s, (SELECT max(nonce) AS top FROM history
                         WHERE stream_id = (SELECT id FROM streams WHERE name = NEW.stream)) AS h
    WHERE s.name = NEW.stream AND h.top > max(s.last_issued, s.high_water);
    UPDATE streams
       SET last_issued = (SELECT max(nonce) FROM history WHERE stream_id = streams.id),
           floor_repairs = floor_repairs + 1
     WHERE name = NEW.stream
       AND (SELECT max(nonce) FROM history WHERE stream_id = streams.id) > max(last_issued, high_water);

    SELECT RAISE(ABORT, 'nonce_requests: the stream has reached 2^63-1, the largest nonce')
    FROM streams WHERE name = NEW.stream AND max(last_issued, high_water) >= 9223372036854775807;

    UPDATE streams
       SET last_issued  = max(coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000),
                              last_issued + 1, high_water + 1),
           high_water   = max(coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000),
                              last_issued + 1, high_water + 1),
           issued_total = issued_total + 1,
           updated_at   = coalesce(NEW.requested_at, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000)
     WHERE name = NEW.stream;

    INSERT INTO history (stream_id, nonce, issued_at, pid, label)
    SELECT id, last_issued, updated_at, coalesce(NEW.pid, 0), NEW.label
    FROM streams WHERE name = NEW.stream;
END;
