-- credshare schema, version 2 (SQLite): award generations and revocation
-- kinds.
--
-- generation numbers the credentials issued to one learner for one
-- achievement (1 for the first): a badge revoked by the rules and earned
-- again gets a new award row with the next generation, and the revoked one
-- stays. The unique key therefore moves from (learner, achievement) to
-- (learner, achievement, generation); SQLite cannot change a table's
-- constraints in place, so the table is rebuilt (in the version's
-- transaction). revoked_by is "rules" or "person" ('' while awarded);
-- revocations stored before this version were all made by the rules.

CREATE TABLE cs_awards_v2 (
	uuid               TEXT    NOT NULL PRIMARY KEY,
	learner_id         INTEGER NOT NULL,
	kind               TEXT    NOT NULL,
	achievement_id     TEXT    NOT NULL,
	status             TEXT    NOT NULL,
	awarded_at         INTEGER,
	awarded_event_id   TEXT    NOT NULL,
	awarded_event_time INTEGER,
	awarded_reason     TEXT    NOT NULL,
	revoked_at         INTEGER,
	revoked_event_id   TEXT    NOT NULL,
	revoked_event_time INTEGER,
	revoked_reason     TEXT    NOT NULL,
	evidence           TEXT,
	providers          TEXT,
	times              INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	revoked_by         TEXT    NOT NULL DEFAULT '',
	generation         INTEGER NOT NULL DEFAULT 1,
	UNIQUE (learner_id, kind, achievement_id, generation)
);
INSERT INTO cs_awards_v2 (uuid, learner_id, kind, achievement_id, status,
	awarded_at, awarded_event_id, awarded_event_time, awarded_reason,
	revoked_at, revoked_event_id, revoked_event_time, revoked_reason,
	evidence, providers, times, updated_at, revoked_by, generation)
SELECT uuid, learner_id, kind, achievement_id, status,
	awarded_at, awarded_event_id, awarded_event_time, awarded_reason,
	revoked_at, revoked_event_id, revoked_event_time, revoked_reason,
	evidence, providers, times, updated_at,
	CASE WHEN status = 'revoked' THEN 'rules' ELSE '' END, 1
FROM cs_awards;
DROP TABLE cs_awards;
ALTER TABLE cs_awards_v2 RENAME TO cs_awards;
CREATE INDEX IF NOT EXISTS cs_awards_achievement ON cs_awards (kind, achievement_id);
CREATE INDEX IF NOT EXISTS cs_awards_status ON cs_awards (status);
