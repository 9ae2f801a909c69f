// Package reliability is credshare's reliability suite (issue 12): the tests
// a sceptical operator runs before trusting the Open edX deployment with
// real learners.
//
// Each test builds the real deployment program, examples/openedx, once
// and runs it as a subprocess — several of them where the test says so —
// against a Kafka broker (kfake) and a schema registry (srfake) running in
// the test process, a MariaDB database, and the Credly API fake
// (badge/credly/credlyfake) behind a fault-injecting proxy, all on
// 127.0.0.1. The events are written with kafkabus's publisher, so the
// records are exactly what an Open edX LMS produces. Then the test does
// something unkind and checks the final state against a model of the
// workload: the awards in the store, the badges at the Credly fake (and
// the issue calls that created them), the badge.awarded events published
// on Kafka (decoded as a consumer reads them) and every event recorded as
// processed.
//
//   - TestReplayTwice: every event delivered twice, then the topics
//     replayed from the start (CREDSHARE_REPLAY_FROM): one final state.
//   - TestKillNine: SIGKILL at random moments, restart each time.
//   - TestKillDuringJoin: SIGKILL, restart, and SIGKILL again as soon as
//     the restarted process is in the consumer group, then a third start.
//     Both kill tests run every incarnation as one static group member
//     (CREDSHARE_KAFKA_GROUP_INSTANCE_ID): with dynamic members
//     (CREDSHARE_RELIABILITY_DYNAMIC_MEMBERS=1) kfake can keep a member
//     killed in its join for good (docs/reliability.md).
//   - TestProviderFaults: Credly answers 5xx, 429 with Retry-After, or
//     stalls past the client timeout; one learner's calls always fail, die
//     after the maximum attempts with their reason, and are re-queued with
//     credshare deadletter retry.
//   - TestDatabaseRestart: MariaDB stopped (by its PID file) and started
//     again mid-run.
//   - TestConsumerGroupKill: three processes in one consumer group, one
//     killed mid-run. They start one after another: started together on a
//     fresh database they can lose a template's rules (a bug this suite
//     found; CREDSHARE_RELIABILITY_CONCURRENT_START=1 starts them together,
//     and the test then fails when the race is lost).
//
// Each writes its figures (events, faults injected, restarts, duplicates,
// losses, duration) to the test log and, as JSON lines, to the file
// CREDSHARE_RELIABILITY_REPORT names. The default sizes finish in well
// under a minute each; CREDSHARE_RELIABILITY_LONG=1 (make reliability)
// runs the sizes. The tests need CREDSHARE_MYSQL_DSN (skipped
// without it unless CREDSHARE_REQUIRE_MYSQL=1); TestDatabaseRestart also
// needs CREDSHARE_RELIABILITY_MARIADB_DIR, the directory of a MariaDB
// started by scripts/mariadb-up.sh for this suite alone, that it may stop
// and start (scripts/reliability.sh, behind make reliability and make
// reliability-short, provides one). docs/reliability.md, "Measured", has
// the figures and what the suite found.
//
// This package has no code.
package reliability
