-- NonceStore schema, version 2: the SQL contract for shared streams.
--
-- Any SQLite client, in any language, issues a nonce on a shared stream like this, with
-- `PRAGMA synchronous = FULL` (SQLite's default) and a busy timeout on its connection:
--
--   BEGIN IMMEDIATE;
--   INSERT INTO nonce_requests (stream, requested_at, pid, label) VALUES (?, ?, ?, ?);
--   SELECT last_issued FROM stream_state WHERE stream = ?;      -- the nonce
--   COMMIT;
--
-- requested_at is the caller's clock in nanoseconds since the epoch (NULL: SQLite's clock,
-- millisecond precision); pid and label are stored with the nonce in nonce_history.
-- The nonce is max(requested_at, floor + 1), where the floor is the larger of the last
-- issued nonce and the high-water mark: strictly increasing across every process in commit
-- order. Exclusive streams refuse: their holder issues from memory under a lease, so a
-- nonce made here could collide with one it has already handed out.

CREATE VIEW nonce_requests AS
SELECT CAST(NULL AS TEXT) AS stream, CAST(NULL AS INTEGER) AS requested_at,
       CAST(NULL AS INTEGER) AS pid, CAST(NULL AS TEXT) AS label
WHERE 0;

CREATE TRIGGER nonce_requests_issue INSTEAD OF INSERT ON nonce_requests
BEGIN
    SELECT RAISE(ABORT, 'nonce_requests: no stream of that name (create it with: nonce stream create NAME --shared)')
    WHERE NOT EXISTS (SELECT 1 FROM streams WHERE name = NEW.stream);
    SELECT RAISE(ABORT, 'nonce_requests: the stream is exclusive, only the process holding it issues its nonces (switch it with: nonce stream set-mode NAME shared)')
    WHERE EXISTS (SELECT 1 FROM streams WHERE name = NEW.stream AND mode <> 'shared');
    SELECT RAISE(ABORT, 'nonce_requests: requested_at must be an integer count of nanoseconds since the epoch')
    WHERE NEW.requested_at IS NOT NULL AND (typeof(NEW.requested_at) <> 'integer' OR NEW.requested_at < 0);
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
