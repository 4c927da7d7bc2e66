-- 002: a name's or room's key is no longer its case folding alone but
-- chat.Fold: case folding, then the confusable skeleton of UTS #39, so that
-- names that look alike ("alice" with a Cyrillic а, "mallory" and
-- "rnallory") share a key. Every stored key is computed again with
-- parley_name_key (namekey.go). It is computed from the old key, which is
-- the name case-folded, and the new key folds first: the same as from the
-- name.

-- Accounts. Two registered names that now look alike would share a key:
-- the one registered first keeps it (the earlier created, then the smaller
-- old key), and each other is parked under its old key behind U+001F,
-- which no name's key holds (names have no control characters). A parked
-- account keeps its row, hash and queued messages for an operator to see
-- and delete, but nobody can log in to it, and it stops no one.
CREATE TEMP TABLE rekey AS
	SELECT key AS old, parley_name_key(key) AS new, created FROM accounts;
CREATE INDEX temp.rekey_old ON rekey (old);
CREATE INDEX temp.rekey_new ON rekey (new);
CREATE TEMP TABLE parked AS
	SELECT r.old FROM rekey r WHERE EXISTS (
		SELECT 1 FROM rekey o WHERE o.new = r.new
			AND (o.created < r.created OR (o.created = r.created AND o.old < r.old)));
UPDATE rekey SET new = char(31) || old WHERE old IN (SELECT old FROM parked);
-- In two steps, so that no key is held twice on the way (U+001E: no
-- final key starts with it).
UPDATE accounts SET key = char(30) || key;
UPDATE accounts SET key = (SELECT new FROM rekey WHERE rekey.old = substr(accounts.key, 2));

-- Private messages waiting for an account follow it.
UPDATE offline_dms SET to_key = coalesce(
	(SELECT new FROM rekey WHERE rekey.old = offline_dms.to_key),
	parley_name_key(to_key));

-- Room history: each room's lines move to its new key, so that look-alike
-- rooms are one room, as they are while people are in them. The function
-- runs once per room (the index gives the rooms), not once per line.
CREATE TEMP TABLE moved_rooms AS
	SELECT old, new FROM (SELECT room AS old, parley_name_key(room) AS new FROM (SELECT DISTINCT room FROM messages))
	WHERE new <> old;
UPDATE messages SET room = (SELECT new FROM moved_rooms WHERE moved_rooms.old = messages.room)
	WHERE room IN (SELECT old FROM moved_rooms);

DROP TABLE temp.rekey;
DROP TABLE temp.parked;
DROP TABLE temp.moved_rooms;
