-- credshare schema, version 1 (MySQL 8 and MariaDB 10.11).
-- Times are DATETIME(6) in UTC; NULL is "unset". UUIDs are their canonical
-- lower-case text, so text order is byte order. Every table uses the binary
-- collation, so keys (event ids, idempotency keys) compare byte for byte.
-- Indexes are declared inside CREATE TABLE IF NOT EXISTS so that a version
-- interrupted halfway can be applied again (MySQL has no
-- CREATE INDEX IF NOT EXISTS, and its DDL commits implicitly).

CREATE TABLE IF NOT EXISTS cs_learners (
	user_id    BIGINT       NOT NULL PRIMARY KEY,
	username   VARCHAR(255) NOT NULL,
	email      VARCHAR(320) NOT NULL,
	full_name  VARCHAR(512) NOT NULL,
	is_active  BOOLEAN      NOT NULL,
	created_at DATETIME(6)  NOT NULL,
	updated_at DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_awards (
	uuid               CHAR(36)      NOT NULL PRIMARY KEY,
	learner_id         BIGINT        NOT NULL,
	kind               VARCHAR(32)   NOT NULL,
	achievement_id     VARCHAR(255)  NOT NULL,
	status             VARCHAR(16)   NOT NULL,
	awarded_at         DATETIME(6)   NULL,
	awarded_event_id   VARCHAR(255)  NOT NULL,
	awarded_event_time DATETIME(6)   NULL,
	awarded_reason     VARCHAR(1024) NOT NULL,
	revoked_at         DATETIME(6)   NULL,
	revoked_event_id   VARCHAR(255)  NOT NULL,
	revoked_event_time DATETIME(6)   NULL,
	revoked_reason     VARCHAR(1024) NOT NULL,
	evidence           MEDIUMTEXT    NULL,
	providers          MEDIUMTEXT    NULL,
	times              INT           NOT NULL,
	updated_at         DATETIME(6)   NOT NULL,
	UNIQUE KEY cs_awards_key (learner_id, kind, achievement_id),
	KEY cs_awards_achievement (kind, achievement_id),
	KEY cs_awards_status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_award_providers (
	award_uuid  CHAR(36)     NOT NULL,
	provider    VARCHAR(64)  NOT NULL,
	external_id VARCHAR(255) NOT NULL,
	PRIMARY KEY (award_uuid, provider),
	KEY cs_award_providers_ref (provider, external_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_progress (
	id            BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
	learner_id    BIGINT      NOT NULL,
	template_uuid CHAR(36)    NOT NULL,
	rules_version INT         NOT NULL,
	created_at    DATETIME(6) NOT NULL,
	updated_at    DATETIME(6) NOT NULL,
	UNIQUE KEY cs_progress_key (learner_id, template_uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_fulfillments (
	progress_id    BIGINT       NOT NULL,
	requirement_id VARCHAR(255) NOT NULL,
	group_name     VARCHAR(255) NOT NULL,
	event_id       VARCHAR(255) NOT NULL,
	event_time     DATETIME(6)  NULL,
	matched        MEDIUMBLOB   NULL,
	created_at     DATETIME(6)  NOT NULL,
	PRIMARY KEY (progress_id, requirement_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_observations (
	id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
	progress_id    BIGINT       NOT NULL,
	requirement_id VARCHAR(255) NOT NULL,
	value          VARCHAR(255) NOT NULL,
	event_id       VARCHAR(255) NOT NULL,
	event_time     DATETIME(6)  NULL,
	UNIQUE KEY cs_observations_key (progress_id, requirement_id, value)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_events (
	group_name   VARCHAR(255) NOT NULL,
	event_id     VARCHAR(255) NOT NULL,
	processed_at DATETIME(6)  NOT NULL,
	PRIMARY KEY (group_name, event_id),
	KEY cs_events_processed_at (processed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_outbox (
	id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
	kind            VARCHAR(64)  NOT NULL,
	target          VARCHAR(255) NOT NULL,
	idempotency_key VARCHAR(255) NOT NULL,
	payload         LONGBLOB     NULL,
	status          VARCHAR(16)  NOT NULL,
	attempts        INT          NOT NULL,
	not_before      DATETIME(6)  NOT NULL,
	lease_owner     VARCHAR(255) NOT NULL,
	lease_until     DATETIME(6)  NULL,
	last_error      TEXT         NOT NULL,
	created_at      DATETIME(6)  NOT NULL,
	updated_at      DATETIME(6)  NOT NULL,
	UNIQUE KEY cs_outbox_idempotency_key (idempotency_key),
	KEY cs_outbox_due (status, not_before),
	KEY cs_outbox_lease (status, lease_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_issuance (
	seq               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
	id                CHAR(36)     NOT NULL,
	award_uuid        CHAR(36)     NOT NULL,
	learner_id        BIGINT       NOT NULL,
	issuer_id         VARCHAR(512) NOT NULL,
	wallet            VARCHAR(64)  NOT NULL,
	format            VARCHAR(64)  NOT NULL,
	data_model        VARCHAR(64)  NOT NULL,
	challenge         VARCHAR(255) NOT NULL,
	challenge_expires DATETIME(6)  NULL,
	challenge_used_at DATETIME(6)  NULL,
	state             VARCHAR(16)  NOT NULL,
	holder_did        TEXT         NOT NULL,
	status            TEXT         NULL,
	credential_id     VARCHAR(1024) NOT NULL,
	credential        LONGBLOB     NULL,
	created_at        DATETIME(6)  NOT NULL,
	issued_at         DATETIME(6)  NULL,
	UNIQUE KEY cs_issuance_id (id),
	KEY cs_issuance_award (award_uuid, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_status_heads (
	issuer  VARCHAR(512) NOT NULL,
	purpose VARCHAR(32)  NOT NULL,
	PRIMARY KEY (issuer, purpose)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_status_lists (
	seq          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
	id           VARCHAR(255) NOT NULL,
	issuer       VARCHAR(512) NOT NULL,
	purpose      VARCHAR(32)  NOT NULL,
	size         INT          NOT NULL,
	status_size  INT          NOT NULL,
	seed         VARBINARY(255) NOT NULL,
	next_ordinal BIGINT       NOT NULL,
	version      BIGINT       NOT NULL,
	created_at   DATETIME(6)  NOT NULL,
	updated_at   DATETIME(6)  NOT NULL,
	UNIQUE KEY cs_status_lists_id (id),
	KEY cs_status_lists_issuer (issuer, purpose, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_status_entries (
	list_id VARCHAR(255) NOT NULL,
	idx     INT          NOT NULL,
	value   INT          NOT NULL,
	PRIMARY KEY (list_id, idx)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_exchanges (
	id         VARCHAR(255) NOT NULL PRIMARY KEY,
	protocol   VARCHAR(64)  NOT NULL,
	state      VARCHAR(64)  NOT NULL,
	learner_id BIGINT       NOT NULL,
	award_uuid CHAR(36)     NOT NULL,
	data       MEDIUMBLOB   NULL,
	expires_at DATETIME(6)  NOT NULL,
	created_at DATETIME(6)  NOT NULL,
	updated_at DATETIME(6)  NOT NULL,
	KEY cs_exchanges_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_accounts (
	provider   VARCHAR(64)  NOT NULL,
	id         VARCHAR(255) NOT NULL,
	name       VARCHAR(255) NOT NULL,
	secret     TEXT         NOT NULL,
	settings   TEXT         NULL,
	active     BOOLEAN      NOT NULL,
	created_at DATETIME(6)  NOT NULL,
	updated_at DATETIME(6)  NOT NULL,
	PRIMARY KEY (provider, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_templates (
	uuid          CHAR(36)      NOT NULL PRIMARY KEY,
	name          VARCHAR(1024) NOT NULL,
	description   TEXT          NOT NULL,
	image_url     TEXT          NOT NULL,
	provider      VARCHAR(64)   NOT NULL,
	account_id    VARCHAR(255)  NOT NULL,
	external_id   VARCHAR(255)  NOT NULL,
	state         VARCHAR(16)   NOT NULL,
	repeatable    BOOLEAN       NOT NULL,
	rules         MEDIUMBLOB    NULL,
	rules_version INT           NOT NULL,
	created_at    DATETIME(6)   NOT NULL,
	updated_at    DATETIME(6)   NOT NULL,
	KEY cs_templates_external (provider, account_id, external_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cs_template_rules (
	template_uuid CHAR(36)    NOT NULL,
	version       INT         NOT NULL,
	rules         MEDIUMBLOB  NULL,
	created_at    DATETIME(6) NOT NULL,
	PRIMARY KEY (template_uuid, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
