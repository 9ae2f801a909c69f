-- credshare schema, version 3 (MySQL 8 and MariaDB 10.11): the trace
-- context of outbox items.
--
-- trace_parent holds the W3C traceparent of the work that enqueued an
-- item (the event the pipeline handled), so the dispatcher's call, made
-- later and maybe elsewhere, joins that trace. NULL for items enqueued
-- without one and for every item stored before this version.
--
-- Version 3, not 2: version 2 is taken by another change (award
-- generations); the versions apply in any order. Re-runnable like version
-- 2: the ALTER TABLE runs only when information_schema shows no
-- trace_parent column, so a process that died between it and the version
-- record can migrate again.

SET @cs_ddl = IF((SELECT COUNT(*) FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cs_outbox' AND COLUMN_NAME = 'trace_parent') = 0,
	'ALTER TABLE cs_outbox ADD COLUMN trace_parent VARCHAR(256) NULL',
	'DO 0');

PREPARE cs_ddl FROM @cs_ddl;

EXECUTE cs_ddl;

DEALLOCATE PREPARE cs_ddl;
