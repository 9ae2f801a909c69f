-- credshare schema, version 2 (MySQL 8 and MariaDB 10.11): award generations
-- and revocation kinds.
--
-- generation numbers the credentials issued to one learner for one
-- achievement (1 for the first): a badge revoked by the rules and earned
-- again gets a new award row with the next generation, and the revoked one
-- stays. The unique key therefore moves from (learner, achievement) to
-- (learner, achievement, generation). revoked_by is "rules" or "person"
-- ('' while awarded); revocations stored before this version were all made
-- by the rules.
--
-- Re-runnable. MySQL's DDL commits at once, so a process that dies after
-- the ALTER TABLE and before this version is recorded leaves the columns in
-- place, and a plain ALTER would fail on the duplicate column when the
-- migration runs again. The ALTER is therefore run only when
-- information_schema shows no generation column yet (MySQL 8 has no ADD
-- COLUMN IF NOT EXISTS); it is one statement, which MySQL and MariaDB apply
-- wholly or not at all, so that column tells whether all of it was
-- applied. The statements run on one connection, which keeps @cs_ddl.

SET @cs_ddl = IF((SELECT COUNT(*) FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cs_awards' AND COLUMN_NAME = 'generation') = 0,
	'ALTER TABLE cs_awards ADD COLUMN revoked_by VARCHAR(16) NOT NULL DEFAULT '''', ADD COLUMN generation INT NOT NULL DEFAULT 1, DROP INDEX cs_awards_key, ADD UNIQUE KEY cs_awards_key (learner_id, kind, achievement_id, generation)',
	'DO 0');

PREPARE cs_ddl FROM @cs_ddl;

EXECUTE cs_ddl;

DEALLOCATE PREPARE cs_ddl;

UPDATE cs_awards SET revoked_by = 'rules' WHERE status = 'revoked' AND revoked_by = '';
