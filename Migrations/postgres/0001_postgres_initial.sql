-- NonceStore's schema on PostgreSQL, version 1: the same tables, views and columns as the
-- SQLite schema at its version 6, in a schema of its own. The migration runner sets
-- `search_path` to that schema before running this file, and every function keeps it
-- (`SET search_path FROM CURRENT`), so `SELECT noncestore.nonce_next('kraken')` works from
-- any session. Times are integer nanoseconds since the Unix epoch, as on SQLite.
--
-- Refusals raise SQLSTATEs of their own (class NS), which clients recognise by code:
--   NS001 no stream of that name        NS002 the stream is exclusive
--   NS003 the stream reached 2^63-1     NS004 a stream with history cannot be deleted
--   NS005 a jump that is not a positive count of nanoseconds

CREATE TABLE schema_migrations (
    version    integer PRIMARY KEY,
    name       text    NOT NULL,
    applied_at bigint  NOT NULL
);

CREATE TABLE streams (
    -- Also the key of the stream's advisory locks (two-int form): kept within int4.
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text    NOT NULL UNIQUE CHECK (length(name) > 0),
    mode                text    NOT NULL DEFAULT 'exclusive' CHECK (mode IN ('exclusive', 'shared')),
    -- Largest nonce known to have been issued (as of the last state write).
    last_issued         bigint  NOT NULL DEFAULT 0 CHECK (last_issued >= 0),
    -- Durable ceiling: no nonce above it has ever left a process.
    high_water_mark     bigint  NOT NULL DEFAULT 0 CHECK (high_water_mark >= 0),
    issued_total        bigint  NOT NULL DEFAULT 0 CHECK (issued_total >= 0),
    mark_renewals       bigint  NOT NULL DEFAULT 0,
    clock_regressions   bigint  NOT NULL DEFAULT 0,
    jumps               bigint  NOT NULL DEFAULT 0,
    -- The process holding an exclusive stream, and its host (informational: the claim
    -- itself is a session advisory lock, which ends with the session).
    holder_pid          integer,
    holder_host         text,
    created_at          bigint  NOT NULL,
    updated_at          bigint  NOT NULL,
    rejections_in_a_row bigint  NOT NULL DEFAULT 0 CHECK (rejections_in_a_row >= 0),
    rejections_total    bigint  NOT NULL DEFAULT 0 CHECK (rejections_total >= 0),
    unclean_stops       bigint  NOT NULL DEFAULT 0 CHECK (unclean_stops >= 0),
    floor_repairs       bigint  NOT NULL DEFAULT 0
);

CREATE TABLE history (
    id        bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id integer NOT NULL REFERENCES streams (id),
    nonce     bigint  NOT NULL CHECK (nonce > 0),
    issued_at bigint  NOT NULL,
    pid       integer NOT NULL,
    label     text
);
CREATE UNIQUE INDEX history_stream_nonce ON history (stream_id, nonce);

CREATE TABLE events (
    id        bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id integer NOT NULL REFERENCES streams (id),
    at        bigint  NOT NULL,
    kind      text    NOT NULL CHECK (kind IN ('jump', 'clock_regression', 'import', 'mode', 'rejection', 'recovered',
                                               'unclean_stop', 'floor_repair', 'history_adopted', 'prune', 'copy')),
    detail    text    NOT NULL DEFAULT ''
);
CREATE INDEX events_stream_at ON events (stream_id, at);

CREATE TABLE legacy_files (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id   text    NOT NULL,
    stream_id   integer NOT NULL REFERENCES streams (id),
    imported_at bigint  NOT NULL,
    path        text    NOT NULL,
    size        bigint,
    sha256      text,
    format      text    NOT NULL,
    unit        text,
    raw_value   text,
    normalized  bigint,
    accepted    integer NOT NULL CHECK (accepted IN (0, 1)),
    reason      text    NOT NULL DEFAULT ''
);

CREATE TABLE rate_counters (
    stream_id  integer PRIMARY KEY REFERENCES streams (id),
    -- The counter's value at updated_at (it decays from there).
    level      double precision NOT NULL CHECK (level >= 0),
    updated_at bigint           NOT NULL
);

-- The public views: the same names and columns as on SQLite.
CREATE VIEW stream_state AS
SELECT s.name AS stream, s.mode, s.last_issued, s.high_water_mark, s.issued_total, s.mark_renewals,
       s.clock_regressions, s.jumps, s.holder_pid, s.created_at, s.updated_at, s.rejections_in_a_row,
       s.rejections_total, r.level AS rate_counter, r.updated_at AS rate_counter_at, s.id AS stream_id,
       s.unclean_stops, s.floor_repairs
FROM streams AS s LEFT JOIN rate_counters AS r ON r.stream_id = s.id;

CREATE VIEW nonce_history AS
SELECT s.name AS stream, h.nonce, h.issued_at, h.pid, h.label
FROM history AS h JOIN streams AS s ON s.id = h.stream_id;

CREATE VIEW nonce_events AS
SELECT s.name AS stream, e.at, e.kind, e.detail
FROM events AS e JOIN streams AS s ON s.id = e.stream_id;

CREATE VIEW legacy_imports AS
SELECT l.import_id, s.name AS stream, l.imported_at, l.path, l.size, l.sha256, l.format,
       l.unit, l.raw_value, l.normalized, l.accepted, l.reason
FROM legacy_files AS l JOIN streams AS s ON s.id = l.stream_id;

-- A stream's history keeps its row: deleting it would let a new stream of that name start
-- below nonces the exchange has seen.
CREATE FUNCTION streams_keep_history() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM history WHERE stream_id = OLD.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'NS004', MESSAGE = 'streams: a stream with history cannot be deleted, its nonces '
            || 'would be forgotten (delete its history first, knowing that the exchange may still hold them)';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER streams_keep_history BEFORE DELETE ON streams FOR EACH ROW EXECUTE FUNCTION streams_keep_history();

-- The server's clock in nanoseconds (microsecond resolution): shared streams take their
-- time from it, so the clients' clock skew cannot reorder nonces.
CREATE FUNCTION nonce_clock() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint
$$;

-- The SQL contract: one durable nonce of a shared stream, `max(now, floor + 1)` over every
-- record, with its history row, under the stream row's lock. Commit the calling
-- transaction (autocommit does) before using the nonce.
CREATE FUNCTION nonce_next(stream_name text, label text DEFAULT NULL, pid integer DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    s streams%ROWTYPE;
    top bigint;
    now_ns bigint;
    issued bigint;
BEGIN
    SELECT * INTO s FROM streams WHERE name = stream_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'NS001',
            MESSAGE = format('nonce_next: no stream named %L (create it with: nonce stream create NAME --shared)', stream_name);
    END IF;
    IF s.mode <> 'shared' THEN
        RAISE EXCEPTION USING ERRCODE = 'NS002', MESSAGE = format('nonce_next: the stream %L is exclusive, only the '
            || 'process holding it issues its nonces (switch it with: nonce stream set-mode NAME shared)', stream_name);
    END IF;
    -- The floor comes from every record: history above the state row raises it first.
    SELECT max(h.nonce) INTO top FROM history AS h WHERE h.stream_id = s.id;
    IF top > greatest(s.last_issued, s.high_water_mark) THEN
        INSERT INTO events (stream_id, at, kind, detail) VALUES (s.id, nonce_clock(), 'floor_repair',
            format('history holds %s, above last_issued %s and the high-water mark %s: issuing continues above %s',
                   top, s.last_issued, s.high_water_mark, top));
        UPDATE streams SET last_issued = top, floor_repairs = floor_repairs + 1 WHERE id = s.id;
        s.last_issued := top;
    END IF;
    IF greatest(s.last_issued, s.high_water_mark) >= 9223372036854775807 THEN
        RAISE EXCEPTION USING ERRCODE = 'NS003', MESSAGE = format('nonce_next: the stream %L has reached 2^63-1, the largest nonce', stream_name);
    END IF;
    now_ns := nonce_clock();
    issued := greatest(now_ns, s.last_issued + 1, s.high_water_mark + 1);
    UPDATE streams SET last_issued = issued, high_water_mark = issued, issued_total = issued_total + 1, updated_at = now_ns
     WHERE id = s.id;
    INSERT INTO history (stream_id, nonce, issued_at, pid, label) VALUES (s.id, issued, now_ns, coalesce(pid, 0), label);
    RETURN issued;
END $$;

-- Moves a shared stream's floor to `max(last, mark, now) + by_ns`, with a jump event;
-- returns the new floor.
CREATE FUNCTION nonce_jump(stream_name text, by_ns bigint, reason text DEFAULT '')
RETURNS bigint LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    s streams%ROWTYPE;
    now_ns bigint := nonce_clock();
    base bigint;
BEGIN
    SELECT * INTO s FROM streams WHERE name = stream_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'NS001', MESSAGE = format('nonce_jump: no stream named %L', stream_name);
    END IF;
    IF s.mode <> 'shared' THEN
        RAISE EXCEPTION USING ERRCODE = 'NS002', MESSAGE = format('nonce_jump: the stream %L is exclusive, only the process '
            || 'holding it moves its floor', stream_name);
    END IF;
    IF by_ns IS NULL OR by_ns <= 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'NS005', MESSAGE = 'nonce_jump: by_ns must be a positive count of nanoseconds';
    END IF;
    base := greatest(s.last_issued, s.high_water_mark, now_ns);
    IF by_ns > 9223372036854775807 - base THEN
        RAISE EXCEPTION USING ERRCODE = 'NS003', MESSAGE = 'nonce_jump: the jump would pass 2^63-1, the largest nonce';
    END IF;
    INSERT INTO events (stream_id, at, kind, detail)
    VALUES (s.id, now_ns, 'jump', format('by %s ns from %s to %s: %s', by_ns, base, base + by_ns, coalesce(reason, '')));
    UPDATE streams SET high_water_mark = base + by_ns, jumps = jumps + 1, updated_at = now_ns WHERE id = s.id;
    RETURN base + by_ns;
END $$;
