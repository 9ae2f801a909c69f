package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/credshare/credshare/credential"
	"github.com/google/uuid"
)

// Adapters call the functions in this file before they store a value, so
// every adapter refuses the same values with the same errors (all matching
// ErrInvalid and naming the field).

// ValidJSON reports whether b is empty or valid JSON; field names it in the error.
func ValidJSON(field string, b json.RawMessage) error {
	if len(b) > 0 && !json.Valid(b) {
		return credential.Invalid(field, "not valid JSON")
	}
	return nil
}

// PrepareOutboxItem checks an item given to Outbox.Enqueue.
func PrepareOutboxItem(item OutboxItem) error {
	if err := CheckOutboxFields(item); err != nil {
		return err
	}
	return ValidJSON("outbox.payload", item.Payload)
}

// CheckOutboxFields is PrepareOutboxItem without the payload's JSON
// check: for a caller that hands the item to a store (which checks the
// payload) later in the same transaction and wants the error now, without
// parsing the payload twice.
func CheckOutboxFields(item OutboxItem) error {
	switch {
	case strings.TrimSpace(item.Kind) == "":
		return credential.Invalid("outbox.kind", "must not be empty")
	case strings.TrimSpace(item.IdempotencyKey) == "":
		return credential.Invalid("outbox.idempotency_key", "must not be empty")
	case len(item.TraceParent) > MaxTraceParent:
		return credential.Invalid("outbox.trace_parent", fmt.Sprintf("longer than %d bytes", MaxTraceParent))
	}
	return nil
}

// PrepareIssuanceRecord checks a record given to Issuance.Create and
// defaults its State to IssuancePending.
func PrepareIssuanceRecord(rec *IssuanceRecord) error {
	switch {
	case rec.ID == uuid.Nil:
		return credential.Invalid("issuance.id", "must be set")
	case rec.AwardUUID == uuid.Nil:
		return credential.Invalid("issuance.award_uuid", "must be set")
	case rec.IssuerID == "":
		return credential.Invalid("issuance.issuer_id", "must not be empty")
	case rec.Challenge == "":
		return credential.Invalid("issuance.challenge", "must not be empty")
	}
	if rec.State == "" {
		rec.State = IssuancePending
	}
	if rec.State != IssuancePending && rec.State != IssuanceIssued {
		return credential.Invalid("issuance.state", "unknown state "+rec.State)
	}
	return ValidJSON("issuance.credential", rec.Credential)
}

// ValidTemplateState reports whether s is a template state.
func ValidTemplateState(s string) bool {
	return s == TemplateDraft || s == TemplateActive || s == TemplateArchived
}

// PrepareTemplate checks a template given to Config.PutTemplate, defaults
// its State to TemplateDraft and replaces its Rules by their compact form
// (nil for none), which is what rules versions are compared on.
func PrepareTemplate(t *Template) error {
	switch {
	case t.UUID == uuid.Nil:
		return credential.Invalid("template.uuid", "must be set")
	case strings.TrimSpace(t.Provider) == "":
		return credential.Invalid("template.provider", "must not be empty")
	}
	if t.State == "" {
		t.State = TemplateDraft
	}
	if !ValidTemplateState(t.State) {
		return credential.Invalid("template.state", "unknown state "+t.State)
	}
	if len(bytes.TrimSpace(t.Rules)) == 0 {
		t.Rules = nil
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, t.Rules); err != nil {
		return credential.Invalid("template.rules", "not valid JSON")
	}
	t.Rules = b.Bytes()
	return nil
}
