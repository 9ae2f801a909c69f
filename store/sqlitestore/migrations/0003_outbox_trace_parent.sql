-- credshare schema, version 3 (SQLite): the trace context of outbox items.
--
-- trace_parent holds the W3C traceparent of the work that enqueued an
-- item (the event the pipeline handled), so the dispatcher's call, made
-- later and maybe elsewhere, joins that trace. NULL for items enqueued
-- without one and for every item stored before this version.
--
-- Version 3, not 2: version 2 is taken by another change (award
-- generations); the versions apply in any order.

ALTER TABLE cs_outbox ADD COLUMN trace_parent TEXT;
