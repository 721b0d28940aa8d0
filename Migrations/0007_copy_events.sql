-- NonceStore schema, version 7: a `copy` event, recorded on both sides when
-- `nonce copy-stream` moves a stream between databases (SQLite and PostgreSQL).
-- SQLite cannot change a CHECK constraint in place, so the events table is rebuilt as in
-- version 6.

CREATE TABLE events_checked (
    id        INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL REFERENCES streams (id),
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('jump', 'clock_regression', 'import', 'mode', 'rejection',
                                              'recovered', 'unclean_stop', 'floor_repair', 'history_adopted', 'prune',
                                              'copy')),
    detail    TEXT    NOT NULL DEFAULT ''
);
INSERT INTO events_checked (id, stream_id, at, kind, detail) SELECT id, stream_id, at, kind, detail FROM events;
DROP VIEW nonce_events;
DROP TABLE events;
PRAGMA legacy_alter_table = ON;
ALTER TABLE events_checked RENAME TO events;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX events_stream_at ON events (stream_id, at);
CREATE VIEW nonce_events AS
SELECT s.name AS stream, e.at, e.kind, e.detail
FROM events AS e JOIN streams AS s ON s.id = e.stream_id;
