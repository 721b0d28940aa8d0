-- NonceStore's PostgreSQL schema, version 2: events carry the floor they set, as on SQLite
-- (schema 8), and the floor counts it as it counts history: state lowered and history
-- deleted by hand no longer take the floor down with them. nonce_next refuses a label over
-- 1,000 characters. (Its time is the server's clock, so no client clock can push it ahead.)

ALTER TABLE events ADD COLUMN floor bigint CHECK (floor IS NULL OR floor > 0);
-- Jumps recorded before this version say their floor in the text: 'by N ns from A to B: ...'.
UPDATE events SET floor = substring(detail FROM '^by [0-9]+ ns from [0-9]+ to ([0-9]+):')::bigint
 WHERE kind = 'jump' AND detail ~ '^by [0-9]+ ns from [0-9]+ to [0-9]+:';
CREATE INDEX events_stream_floor ON events (stream_id, floor) WHERE floor IS NOT NULL;

DROP VIEW nonce_events;
CREATE VIEW nonce_events AS
SELECT s.name AS stream, e.at, e.kind, e.detail, e.floor
FROM events AS e JOIN streams AS s ON s.id = e.stream_id;

-- The floor a stream's records hold besides its state row: its history's largest nonce and
-- the largest floor an event set. One index seek each.
CREATE FUNCTION recorded_floor(stream bigint) RETURNS bigint LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT greatest((SELECT max(nonce) FROM history WHERE stream_id = stream),
                    (SELECT max(floor) FROM events WHERE stream_id = stream AND floor IS NOT NULL))
$$;

CREATE OR REPLACE FUNCTION nonce_next(stream_name text, label text DEFAULT NULL, pid integer DEFAULT NULL)
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
    IF length(label) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'NS006', MESSAGE = 'nonce_next: label is longer than 1000 characters';
    END IF;
    -- The floor comes from every record: history or an event above the state row raises it first.
    top := recorded_floor(s.id);
    IF top > greatest(s.last_issued, s.high_water_mark) THEN
        INSERT INTO events (stream_id, at, kind, detail, floor) VALUES (s.id, nonce_clock(), 'floor_repair',
            format('history and events record %s, above last_issued %s and the high-water mark %s: issuing continues above %s',
                   top, s.last_issued, s.high_water_mark, top), top);
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

CREATE OR REPLACE FUNCTION nonce_jump(stream_name text, by_ns bigint, reason text DEFAULT '')
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
    INSERT INTO events (stream_id, at, kind, detail, floor)
    VALUES (s.id, now_ns, 'jump', format('by %s ns from %s to %s: %s', by_ns, base, base + by_ns, coalesce(reason, '')),
            base + by_ns);
    UPDATE streams SET high_water_mark = base + by_ns, jumps = jumps + 1, updated_at = now_ns WHERE id = s.id;
    RETURN base + by_ns;
END $$;
