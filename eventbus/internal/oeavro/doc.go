// Package oeavro builds Avro schemas exactly as openedx-events generates them
// (openedx_events/event_bus/avro/schema.py), encodes and decodes event data
// with them (schemaless Avro, as both Open edX buses use) and handles the
// Confluent wire framing.
//
// # Schemas
//
// The top-level record is "CloudEvent" in the namespace of the event type,
// with one field per data key; nested attrs classes become records named
// after the class, defined once and referenced by name afterwards; fields
// whose Python default is None become ["null", T] with default null.
// SchemaJSON renders the schema as openedx-events' schema_string() does
// (json.dumps with sort_keys=True), so what we register in a schema registry
// matches what an Open edX producer registers.
//
// # Decoding
//
// Decode resolves the writer schema (fetched from a registry, or our own)
// against our reader schema, so data written by a newer openedx-events with
// extra fields still decodes; types we have no schema for decode with the
// writer schema alone. Truncated input is an error; lengths are capped.
package oeavro
