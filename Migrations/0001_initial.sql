-- NonceStore schema, version 1.
--
-- Internal tables carry integer stream ids to keep history rows small; the public,
-- stable surface is the four views at the end (stream_state, nonce_history,
-- nonce_events, legacy_imports). Query those; the tables may change between versions.
-- Nonces and times are INTEGER nanoseconds since the Unix epoch (signed 64-bit).

CREATE TABLE streams (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL UNIQUE CHECK (length(name) > 0),
    mode              TEXT    NOT NULL DEFAULT 'exclusive' CHECK (mode IN ('exclusive', 'shared')),
    -- Largest nonce known to have been issued (as of the last state write).
    last_issued       INTEGER NOT NULL DEFAULT 0 CHECK (last_issued >= 0),
    -- Durable ceiling: no nonce above it has ever left a process.
    high_water        INTEGER NOT NULL DEFAULT 0 CHECK (high_water >= 0),
    issued_total      INTEGER NOT NULL DEFAULT 0 CHECK (issued_total >= 0),
    mark_renewals     INTEGER NOT NULL DEFAULT 0,
    clock_regressions INTEGER NOT NULL DEFAULT 0,
    jumps             INTEGER NOT NULL DEFAULT 0,
    -- Process that holds the stream (informational; the claim itself is a file lock).
    holder_pid        INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- Every issued nonce, in issue order (rowid order).
CREATE TABLE history (
    id        INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL REFERENCES streams (id),
    nonce     INTEGER NOT NULL CHECK (nonce > 0),
    issued_at INTEGER NOT NULL,
    pid       INTEGER NOT NULL,
    label     TEXT
);
CREATE UNIQUE INDEX history_stream_nonce ON history (stream_id, nonce);

CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL REFERENCES streams (id),
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    detail    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_stream_at ON events (stream_id, at);

-- One row per legacy file examined by an import (filled by `nonce import-legacy`).
CREATE TABLE legacy_files (
    id          INTEGER PRIMARY KEY,
    import_id   TEXT    NOT NULL,
    stream_id   INTEGER NOT NULL REFERENCES streams (id),
    imported_at INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    size        INTEGER,
    sha256      TEXT,
    format      TEXT    NOT NULL,
    unit        TEXT,
    raw_value   TEXT,
    normalized  INTEGER,
    accepted    INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    reason      TEXT    NOT NULL DEFAULT ''
);

CREATE VIEW stream_state AS
SELECT name              AS stream,
       mode,
       last_issued,
       high_water        AS high_water_mark,
       issued_total,
       mark_renewals,
       clock_regressions,
       jumps,
       holder_pid,
       created_at,
       updated_at
FROM streams;

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
