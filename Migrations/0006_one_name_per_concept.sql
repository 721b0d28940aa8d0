-- NonceStore schema, version 6: one name per concept.
--
-- The high-water mark is `high_water_mark` in the table as it always was in the views
-- (SQLite rewrites the column's uses in every view and trigger). Event kinds are a closed
-- list a CHECK constraint enforces, so a misspelled kind fails at the write, not in a
-- report: SQLite cannot add a constraint to a column, so the table is rebuilt.

ALTER TABLE streams RENAME COLUMN high_water TO high_water_mark;

CREATE TABLE events_checked (
    id        INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL REFERENCES streams (id),
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('jump', 'clock_regression', 'import', 'mode', 'rejection',
                                              'recovered', 'unclean_stop', 'floor_repair', 'history_adopted', 'prune')),
    detail    TEXT    NOT NULL DEFAULT ''
);
INSERT INTO events_checked (id, stream_id, at, kind, detail) SELECT id, stream_id, at, kind, detail FROM events;
DROP VIEW nonce_events;
DROP TABLE events;
-- The triggers that write events name the table by its name: with the legacy rename they
-- are not re-checked while the name is briefly missing, and they find the new table.
PRAGMA legacy_alter_table = ON;
ALTER TABLE events_checked RENAME TO events;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX events_stream_at ON events (stream_id, at);
CREATE VIEW nonce_events AS
SELECT s.name AS stream, e.at, e.kind, e.detail
FROM events AS e JOIN streams AS s ON s.id = e.stream_id;
