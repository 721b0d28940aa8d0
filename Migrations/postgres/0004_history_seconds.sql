-- NonceStore's PostgreSQL schema, version 4: the per-second rollup of the history, as on
-- SQLite (schema 10), for `nonce timeline`: per stream, second, process and label, the
-- nonces issued and the largest nonce and issue time among them. second is
-- issued_at / 1,000,000,000; label is the first 200 characters of the row's label ('' when
-- none), short enough for the primary key's index whatever the characters.
--
-- A statement-level trigger keeps it for every writer of `history` (nonce_next, the batched
-- writer, copies): it sees the statement's new rows as a transition table, so a batch of
-- thousands of rows costs one grouped upsert, in key order (two writers never wait on each
-- other's keys in opposite orders). Pruning deletes history rows and keeps these.

CREATE TABLE history_seconds (
    stream_id     integer NOT NULL REFERENCES streams (id),
    second        bigint  NOT NULL,
    pid           integer NOT NULL,
    label         text    NOT NULL,
    issued        bigint  NOT NULL CHECK (issued > 0),
    max_nonce     bigint  NOT NULL,
    max_issued_at bigint  NOT NULL,
    PRIMARY KEY (stream_id, second, pid, label)
);

INSERT INTO history_seconds (stream_id, second, pid, label, issued, max_nonce, max_issued_at)
SELECT stream_id, issued_at / 1000000000, pid, left(coalesce(label, ''), 200), count(*), max(nonce), max(issued_at)
FROM history GROUP BY 1, 2, 3, 4;

CREATE FUNCTION history_seconds_count() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO history_seconds AS r (stream_id, second, pid, label, issued, max_nonce, max_issued_at)
    SELECT n.stream_id, n.issued_at / 1000000000, n.pid, left(coalesce(n.label, ''), 200), count(*), max(n.nonce),
           max(n.issued_at)
    FROM new_history AS n GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (stream_id, second, pid, label) DO UPDATE
       SET issued        = r.issued + excluded.issued,
           max_nonce     = greatest(r.max_nonce, excluded.max_nonce),
           max_issued_at = greatest(r.max_issued_at, excluded.max_issued_at);
    RETURN NULL;
END $$;
CREATE TRIGGER history_seconds_count AFTER INSERT ON history REFERENCING NEW TABLE AS new_history
    FOR EACH STATEMENT EXECUTE FUNCTION history_seconds_count();

CREATE VIEW nonce_history_seconds AS
SELECT s.name AS stream, r.second, r.pid, nullif(r.label, '') AS label, r.issued, r.max_nonce, r.max_issued_at
FROM history_seconds AS r JOIN streams AS s ON s.id = r.stream_id;
