-- 003: bans and mutes, which operators impose and which survive a restart.
-- One of each kind per key. kind is store.SanctionKind (1 ban, 2 mute);
-- key is a name's key (as in accounts) or "addr:" and an address; until is
-- Unix milliseconds, 0 for until lifted.
CREATE TABLE sanctions (
	kind    INTEGER NOT NULL,
	key     TEXT    NOT NULL,
	target  TEXT    NOT NULL,
	addr    TEXT    NOT NULL,
	until   INTEGER NOT NULL,
	reason  TEXT    NOT NULL,
	by      TEXT    NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
);
