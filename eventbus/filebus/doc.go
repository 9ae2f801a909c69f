// Package filebus replays events from a JSON-lines file — one event per
// line, its CloudEvents attributes, key and data — for backfill and for
// replaying an export or a dead-letter queue through the pipeline.
//
// # Format
//
//	{"id":"…","type":"org.openedx.learning.certificate.created.v1","source":"openedx/lms/web",
//	 "time":"2024-05-01T10:00:00+00:00","minorversion":0,"key":"course-v1:…","data":{"certificate":{…}}}
//
// data has the same shape as on the Avro buses (Event.Data); numbers that
// are integral become int64. Writer produces such files.
//
// # Delivery semantics
//
// Source.Receive delivers the lines in order, one at a time, and returns
// at the end of the file. A retryable handler error delivers the same line
// again after RetryBackoff; a permanent error — or a line that is not a
// valid event — goes to the dead-letter queue (by default a
// FileDeadLetterer writing "<path>.dlq"). With Checkpoint set, the number of
// lines done is saved after each line, so an interrupted replay resumes
// where it stopped. There are no consumer groups.
package filebus
