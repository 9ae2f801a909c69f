package status

import (
	"context"
	"encoding/json"
	"time"

	"github.com/credshare/credshare/vc"
)

// DecodeOpenEdX reads the encodedList of an Open edX StatusList2021
// credential, which marks one byte (0x01) per entry instead of one bit,
// and returns the spec-conformant list with the same entries set: entry i
// is set when byte i is non-zero. The list has at least minEntries
// entries (MinEntries when minEntries <= 0) so the result is never under
// the privacy minimum. The input may be standard or URL-safe base64,
// padded or not. Errors match ErrMalformed or ErrTooLarge.
func DecodeOpenEdX(encoded string, minEntries int) (*Bitstring, error) {
	raw, err := gunzipBase64(encoded, DefaultMaxListBytes/8)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, errorf(ErrMalformed, "the Open edX list is empty")
	}
	if minEntries <= 0 {
		minEntries = MinEntries
	}
	b, err := NewBitstring(max(len(raw), minEntries), 1)
	if err != nil {
		return nil, err
	}
	for i, x := range raw {
		if x != 0 {
			b.bits[i/8] |= 0x80 >> (i % 8)
		}
	}
	return b, nil
}

// MigrateOpenEdX reads an Open edX status list credential (doc, as its
// status-list endpoint serves it) and returns the equivalent
// spec-conformant StatusList2021Credential signed by signer: the same id
// (the URL the issued credentials point at, where the host must now serve
// it), issuer and purpose, the entries converted by DecodeOpenEdX, valid
// from now for validity (no expiry when validity is 0). Verifiers that
// read bit i — every conformant one — then see the revocations Open edX
// recorded. The signer must be the list's issuer.
func MigrateOpenEdX(ctx context.Context, doc []byte, signer ListSigner, now time.Time, validity time.Duration) ([]byte, error) {
	if signer == nil {
		return nil, errorf(ErrInvalid, "MigrateOpenEdX: a signer is required")
	}
	c, err := vc.ParseCredential(doc)
	if err != nil {
		return nil, wrap(ErrMalformed, err, "the Open edX status list credential")
	}
	if !c.Type.Has(Type2021Credential) {
		return nil, errorf(ErrMalformed, "the Open edX document is a %v, not a %s", c.Type, Type2021Credential)
	}
	if c.ID == "" {
		return nil, errorf(ErrMalformed, "the Open edX status list credential has no id")
	}
	if c.Issuer.ID != signer.Issuer() {
		return nil, errorf(ErrInvalid, "the list was issued by %s; the signer is %s's", c.Issuer.ID, signer.Issuer())
	}
	var d listDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, wrap(ErrMalformed, err, "the Open edX status list credential")
	}
	var subj listSubject
	if err := json.Unmarshal(d.CredentialSubject, &subj); err != nil {
		return nil, wrap(ErrMalformed, err, "credentialSubject of the Open edX list")
	}
	purposes, err := purposesOf(subj.StatusPurpose)
	if err != nil {
		return nil, err
	}
	bits, err := DecodeOpenEdX(subj.EncodedList, MinEntries)
	if err != nil {
		return nil, err
	}
	lc := ListCredential{URL: c.ID, Issuer: c.Issuer.ID, Purpose: purposes[0], Format: FormatStatusList2021, ValidFrom: now, List: bits}
	if validity > 0 {
		lc.ValidUntil = now.Add(validity)
	}
	unsigned, err := lc.Document()
	if err != nil {
		return nil, err
	}
	return signer.SignList(ctx, unsigned)
}
