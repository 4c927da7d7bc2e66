-- 001: the first schema. Times are Unix milliseconds (UTC); IDs are the hub's.

-- Room history. The index serves History: one room, newest IDs below a bound.
CREATE TABLE messages (
	id        INTEGER PRIMARY KEY,
	room      TEXT    NOT NULL,
	room_name TEXT    NOT NULL,
	sender    TEXT    NOT NULL,
	addr      TEXT    NOT NULL,
	text      TEXT    NOT NULL,
	ts        INTEGER NOT NULL
);
CREATE INDEX messages_room_id ON messages (room, id);

-- Registered names, by key.
CREATE TABLE accounts (
	key     TEXT    PRIMARY KEY,
	name    TEXT    NOT NULL,
	hash    TEXT    NOT NULL,
	created INTEGER NOT NULL
);

-- Private messages waiting for an offline recipient. TakeDMs deletes them.
CREATE TABLE offline_dms (
	id        INTEGER PRIMARY KEY,
	to_key    TEXT    NOT NULL,
	recipient TEXT    NOT NULL,
	sender    TEXT    NOT NULL,
	addr      TEXT    NOT NULL,
	text      TEXT    NOT NULL,
	ts        INTEGER NOT NULL
);
CREATE INDEX offline_dms_to_key_id ON offline_dms (to_key, id);

-- The highest ID of any row deleted so far (taken or dropped DMs), so that
-- LastID still counts IDs that are no longer in any table. It is raised in
-- the transaction that deletes the rows; LastID is the largest of it and the
-- IDs still stored. Exactly one row.
CREATE TABLE id_high_water (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	id  INTEGER NOT NULL
);
INSERT INTO id_high_water (one, id) VALUES (1, 0);
