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
-- The schema change is one ALTER TABLE, which MySQL and MariaDB apply
-- wholly or not at all; the UPDATE after it can run again.

ALTER TABLE cs_awards
	ADD COLUMN revoked_by VARCHAR(16) NOT NULL DEFAULT '',
	ADD COLUMN generation INT NOT NULL DEFAULT 1,
	DROP INDEX cs_awards_key,
	ADD UNIQUE KEY cs_awards_key (learner_id, kind, achievement_id, generation);

UPDATE cs_awards SET revoked_by = 'rules' WHERE status = 'revoked' AND revoked_by = '';
