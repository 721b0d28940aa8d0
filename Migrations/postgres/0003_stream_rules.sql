-- NonceStore's PostgreSQL schema, version 3: the nonce rules belong to the stream, as on
-- SQLite (schema 9). `unit` ('s', 'ms', 'us', '10ns', 'ns': every earlier stream is 'ns'),
-- `max_nonce` (the ceiling; NULL is 2^63-1) and `exchange` (the preset it came from).
-- nonce_next and nonce_jump issue in the stream's unit from the server's clock, never above
-- the ceiling; two event kinds: `unit` and `ceiling_near`.

CREATE TABLE nonce_units (
    unit        text   PRIMARY KEY,
    ns_per_unit bigint NOT NULL CHECK (ns_per_unit > 0)
);
INSERT INTO nonce_units (unit, ns_per_unit) VALUES
    ('s', 1000000000), ('ms', 1000000), ('us', 1000), ('10ns', 10), ('ns', 1);

ALTER TABLE streams ADD COLUMN unit text NOT NULL DEFAULT 'ns' REFERENCES nonce_units (unit);
ALTER TABLE streams ADD COLUMN max_nonce bigint CHECK (max_nonce IS NULL OR max_nonce > 0);
ALTER TABLE streams ADD COLUMN exchange text CHECK (exchange IS NULL OR length(exchange) BETWEEN 1 AND 64);

ALTER TABLE events DROP CONSTRAINT events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind IN ('jump', 'clock_regression', 'import', 'mode',
    'rejection', 'recovered', 'unclean_stop', 'floor_repair', 'history_adopted', 'prune', 'copy', 'unit', 'ceiling_near'));

DROP VIEW stream_state;
CREATE VIEW stream_state AS
SELECT s.name AS stream, s.mode, s.last_issued, s.high_water_mark, s.issued_total, s.mark_renewals,
       s.clock_regressions, s.jumps, s.holder_pid, s.created_at, s.updated_at, s.rejections_in_a_row,
       s.rejections_total, r.level AS rate_counter, r.updated_at AS rate_counter_at, s.id AS stream_id,
       s.unclean_stops, s.floor_repairs, s.unit, s.max_nonce, s.exchange
FROM streams AS s LEFT JOIN rate_counters AS r ON r.stream_id = s.id;

CREATE OR REPLACE FUNCTION nonce_next(stream_name text, label text DEFAULT NULL, pid integer DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    s streams%ROWTYPE;
    top bigint;
    now_ns bigint;
    now_unit bigint;
    ceiling bigint;
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
    now_ns := nonce_clock();
    now_unit := now_ns / (SELECT ns_per_unit FROM nonce_units WHERE unit = s.unit);
    ceiling := coalesce(s.max_nonce, 9223372036854775807);
    IF greatest(s.last_issued, s.high_water_mark, now_unit - 1) >= ceiling THEN
        RAISE EXCEPTION USING ERRCODE = 'NS003', MESSAGE = format('nonce_next: the stream %L has reached its ceiling %s '
            || '(max_nonce, or 2^63-1): no larger nonce may be issued; a new API key and a new stream are the way on',
            stream_name, ceiling);
    END IF;
    issued := greatest(now_unit, s.last_issued + 1, s.high_water_mark + 1);
    UPDATE streams SET last_issued = issued, high_water_mark = issued, issued_total = issued_total + 1, updated_at = now_ns
     WHERE id = s.id;
    INSERT INTO history (stream_id, nonce, issued_at, pid, label) VALUES (s.id, issued, now_ns, coalesce(pid, 0), label);
    RETURN issued;
END $$;

-- A jump of `by_ns` nanoseconds moves the floor by as many of the stream's units, rounded up.
CREATE OR REPLACE FUNCTION nonce_jump(stream_name text, by_ns bigint, reason text DEFAULT '')
RETURNS bigint LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    s streams%ROWTYPE;
    now_ns bigint := nonce_clock();
    per_unit bigint;
    by_units bigint;
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
    per_unit := (SELECT ns_per_unit FROM nonce_units WHERE unit = s.unit);
    by_units := by_ns / per_unit + (CASE WHEN by_ns % per_unit > 0 THEN 1 ELSE 0 END);
    base := greatest(s.last_issued, s.high_water_mark, now_ns / per_unit);
    IF by_units > coalesce(s.max_nonce, 9223372036854775807) - base THEN
        RAISE EXCEPTION USING ERRCODE = 'NS003', MESSAGE = format('nonce_jump: the jump would pass the stream''s ceiling %s '
            || '(max_nonce, or 2^63-1)', coalesce(s.max_nonce, 9223372036854775807));
    END IF;
    INSERT INTO events (stream_id, at, kind, detail, floor)
    VALUES (s.id, now_ns, 'jump', format('by %s ns (%s %s) from %s to %s: %s', by_ns, by_units, s.unit, base, base + by_units,
                                         coalesce(reason, '')),
            base + by_units);
    UPDATE streams SET high_water_mark = base + by_units, jumps = jumps + 1, updated_at = now_ns WHERE id = s.id;
    RETURN base + by_units;
END $$;
