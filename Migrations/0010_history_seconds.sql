-- NonceStore schema, version 10: a per-second rollup of the history, for `nonce timeline`.
--
-- `history_seconds` holds, for each stream, second, process and label, how many nonces were
-- issued and the largest nonce and issue time among them. The timeline groups these rows
-- into its buckets, so its cost follows the seconds in its window, not the history's rows.
--
-- * second: issued_at / 1,000,000,000 (whole seconds since the epoch).
-- * label: the first 200 characters of the history row's label; '' when it had none.
-- * issued: the history rows of that second, process and label; max_nonce (in the stream's
--   unit) and max_issued_at (nanoseconds) are the largest among them: the lead of the
--   stream over the clock at that second is max_nonce in nanoseconds - max_issued_at.
--
-- The trigger keeps it for every writer of `history`: the SQL contract (`nonce_requests`),
-- copies, and any client in any language. (NonceStore's own batched writer adds whole
-- batches at once instead, with the same rows, in the same transaction.) Pruning deletes
-- history rows and keeps these: the timeline of a pruned period stays readable. The view
-- `nonce_history_seconds` is the stable surface for reading it.

CREATE TABLE history_seconds (
    stream_id     INTEGER NOT NULL REFERENCES streams (id),
    second        INTEGER NOT NULL,
    pid           INTEGER NOT NULL,
    label         TEXT    NOT NULL,
    issued        INTEGER NOT NULL CHECK (issued > 0),
    max_nonce     INTEGER NOT NULL,
    max_issued_at INTEGER NOT NULL,
    PRIMARY KEY (stream_id, second, pid, label)
) WITHOUT ROWID;

INSERT INTO history_seconds (stream_id, second, pid, label, issued, max_nonce, max_issued_at)
SELECT stream_id, issued_at / 1000000000, pid, substr(coalesce(label, ''), 1, 200), count(*), max(nonce), max(issued_at)
FROM history GROUP BY 1, 2, 3, 4;

CREATE TRIGGER history_seconds_count AFTER INSERT ON history
BEGIN
    INSERT INTO history_seconds (stream_id, second, pid, label, issued, max_nonce, max_issued_at)
    VALUES (NEW.stream_id, NEW.issued_at / 1000000000, NEW.pid, substr(coalesce(NEW.label, ''), 1, 200), 1, NEW.nonce,
            NEW.issued_at)
    ON CONFLICT (stream_id, second, pid, label) DO UPDATE
       SET issued        = issued + 1,
           max_nonce     = max(max_nonce, excluded.max_nonce),
           max_issued_at = max(max_issued_at, excluded.max_issued_at);
END;

CREATE VIEW nonce_history_seconds AS
SELECT s.name AS stream, r.second, r.pid, nullif(r.label, '') AS label, r.issued, r.max_nonce, r.max_issued_at
FROM history_seconds AS r JOIN streams AS s ON s.id = r.stream_id;
