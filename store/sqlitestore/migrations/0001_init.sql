-- credshare schema, version 1 (SQLite).
-- Times are INTEGER microseconds since the Unix epoch (UTC); NULL is "unset".
-- UUIDs are their canonical lower-case text, so text order is byte order.

CREATE TABLE IF NOT EXISTS cs_learners (
	user_id    INTEGER NOT NULL PRIMARY KEY,
	username   TEXT    NOT NULL,
	email      TEXT    NOT NULL,
	full_name  TEXT    NOT NULL,
	is_active  INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS cs_awards (
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
	UNIQUE (learner_id, kind, achievement_id)
);
CREATE INDEX IF NOT EXISTS cs_awards_achievement ON cs_awards (kind, achievement_id);
CREATE INDEX IF NOT EXISTS cs_awards_status ON cs_awards (status);

CREATE TABLE IF NOT EXISTS cs_award_providers (
	award_uuid  TEXT NOT NULL,
	provider    TEXT NOT NULL,
	external_id TEXT NOT NULL,
	PRIMARY KEY (award_uuid, provider)
);
CREATE INDEX IF NOT EXISTS cs_award_providers_ref ON cs_award_providers (provider, external_id);

CREATE TABLE IF NOT EXISTS cs_progress (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	learner_id    INTEGER NOT NULL,
	template_uuid TEXT    NOT NULL,
	rules_version INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	UNIQUE (learner_id, template_uuid)
);

CREATE TABLE IF NOT EXISTS cs_fulfillments (
	progress_id    INTEGER NOT NULL,
	requirement_id TEXT    NOT NULL,
	group_name     TEXT    NOT NULL,
	event_id       TEXT    NOT NULL,
	event_time     INTEGER,
	matched        BLOB,
	created_at     INTEGER NOT NULL,
	PRIMARY KEY (progress_id, requirement_id)
);

CREATE TABLE IF NOT EXISTS cs_observations (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	progress_id    INTEGER NOT NULL,
	requirement_id TEXT    NOT NULL,
	value          TEXT    NOT NULL,
	event_id       TEXT    NOT NULL,
	event_time     INTEGER,
	UNIQUE (progress_id, requirement_id, value)
);

CREATE TABLE IF NOT EXISTS cs_events (
	group_name   TEXT    NOT NULL,
	event_id     TEXT    NOT NULL,
	processed_at INTEGER NOT NULL,
	PRIMARY KEY (group_name, event_id)
);
CREATE INDEX IF NOT EXISTS cs_events_processed_at ON cs_events (processed_at);

CREATE TABLE IF NOT EXISTS cs_outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	kind            TEXT    NOT NULL,
	target          TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL UNIQUE,
	payload         BLOB,
	status          TEXT    NOT NULL,
	attempts        INTEGER NOT NULL,
	not_before      INTEGER NOT NULL,
	lease_owner     TEXT    NOT NULL,
	lease_until     INTEGER,
	last_error      TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cs_outbox_due ON cs_outbox (status, not_before);
CREATE INDEX IF NOT EXISTS cs_outbox_lease ON cs_outbox (status, lease_until);

CREATE TABLE IF NOT EXISTS cs_issuance (
	seq               INTEGER PRIMARY KEY AUTOINCREMENT,
	id                TEXT    NOT NULL UNIQUE,
	award_uuid        TEXT    NOT NULL,
	learner_id        INTEGER NOT NULL,
	issuer_id         TEXT    NOT NULL,
	wallet            TEXT    NOT NULL,
	format            TEXT    NOT NULL,
	data_model        TEXT    NOT NULL,
	challenge         TEXT    NOT NULL,
	challenge_expires INTEGER,
	challenge_used_at INTEGER,
	state             TEXT    NOT NULL,
	holder_did        TEXT    NOT NULL,
	status            TEXT,
	credential_id     TEXT    NOT NULL,
	credential        BLOB,
	created_at        INTEGER NOT NULL,
	issued_at         INTEGER
);
CREATE INDEX IF NOT EXISTS cs_issuance_award ON cs_issuance (award_uuid, created_at);

CREATE TABLE IF NOT EXISTS cs_status_heads (
	issuer  TEXT NOT NULL,
	purpose TEXT NOT NULL,
	PRIMARY KEY (issuer, purpose)
);

CREATE TABLE IF NOT EXISTS cs_status_lists (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	id           TEXT    NOT NULL UNIQUE,
	issuer       TEXT    NOT NULL,
	purpose      TEXT    NOT NULL,
	size         INTEGER NOT NULL,
	status_size  INTEGER NOT NULL,
	seed         BLOB    NOT NULL,
	next_ordinal INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cs_status_lists_issuer ON cs_status_lists (issuer, purpose, seq);

CREATE TABLE IF NOT EXISTS cs_status_entries (
	list_id TEXT    NOT NULL,
	idx     INTEGER NOT NULL,
	value   INTEGER NOT NULL,
	PRIMARY KEY (list_id, idx)
);

CREATE TABLE IF NOT EXISTS cs_exchanges (
	id         TEXT    NOT NULL PRIMARY KEY,
	protocol   TEXT    NOT NULL,
	state      TEXT    NOT NULL,
	learner_id INTEGER NOT NULL,
	award_uuid TEXT    NOT NULL,
	data       BLOB,
	expires_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cs_exchanges_expires ON cs_exchanges (expires_at);

CREATE TABLE IF NOT EXISTS cs_accounts (
	provider   TEXT    NOT NULL,
	id         TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	secret     TEXT    NOT NULL,
	settings   TEXT,
	active     INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (provider, id)
);

CREATE TABLE IF NOT EXISTS cs_templates (
	uuid          TEXT    NOT NULL PRIMARY KEY,
	name          TEXT    NOT NULL,
	description   TEXT    NOT NULL,
	image_url     TEXT    NOT NULL,
	provider      TEXT    NOT NULL,
	account_id    TEXT    NOT NULL,
	external_id   TEXT    NOT NULL,
	state         TEXT    NOT NULL,
	repeatable    INTEGER NOT NULL,
	rules         BLOB,
	rules_version INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cs_templates_external ON cs_templates (provider, account_id, external_id);

CREATE TABLE IF NOT EXISTS cs_template_rules (
	template_uuid TEXT    NOT NULL,
	version       INTEGER NOT NULL,
	rules         BLOB,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (template_uuid, version)
);
