package status

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/google/uuid"
)

// StatusMessage is one value of a message list and what it means.
type StatusMessage struct {
	// Value is the entry's value.
	Value int
	// Message explains it.
	Message string
}

// MessageConfig turns on a message list (statusPurpose "message",
// statusSize > 1) next to the revocation list. Message entries are
// Bitstring-only: issuing a VC 1.1 credential with one fails.
type MessageConfig struct {
	// StatusSize is the number of bits per entry, 2 … MaxStatusSize.
	StatusSize int
	// Messages lists the meaning of every value 0 … 2^StatusSize-1 (the
	// Bitstring Status List spec requires all of them).
	Messages []StatusMessage
}

// Config configures a Service.
type Config struct {
	// BaseURL is the absolute URL under which the Publisher serves lists,
	// e.g. "https://credentials.example.edu/status". A list's URL is
	// BaseURL + "/" + id (Bitstring) or BaseURL + "/" + id + "/2021"
	// (StatusList2021). Required; https unless the host is localhost or
	// 127.0.0.1.
	BaseURL string
	// Entries is the size of new lists; default and minimum MinEntries.
	Entries int
	// Suspension also allocates a suspension entry for every credential,
	// so it can be suspended and reinstated.
	Suspension bool
	// Messages, when set, also allocates a message entry.
	Messages *MessageConfig
	// Rand is the source of list ids and seeds; default crypto/rand.
	Rand io.Reader
}

// Service allocates status entries, maps them to credentialStatus entries
// and sets them: the issuing side of status lists. It keeps no state of
// its own (the store holds everything), so any number of replicas can
// share one database. It is safe for concurrent use.
//
// It implements the wallet package's StatusAllocator (Allocate) and
// StatusEntryFunc (Entry), and the pipeline's StatusRevoker (RevokeAward).
type Service struct {
	cfg  Config
	base string
}

// New validates cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Entries == 0 {
		cfg.Entries = MinEntries
	}
	if cfg.Entries < MinEntries {
		return nil, errorf(ErrInvalid, "lists need at least %d entries (herd privacy), not %d", MinEntries, cfg.Entries)
	}
	if cfg.Entries > DefaultMaxListBytes*8/MaxStatusSize {
		return nil, errorf(ErrInvalid, "lists of %d entries are larger than verifiers accept", cfg.Entries)
	}
	if m := cfg.Messages; m != nil {
		if m.StatusSize < 2 || m.StatusSize > MaxStatusSize {
			return nil, errorf(ErrInvalid, "a message list's status size must be between 2 and %d, not %d", MaxStatusSize, m.StatusSize)
		}
		seen := map[int]bool{}
		for _, x := range m.Messages {
			if x.Value < 0 || x.Value >= 1<<m.StatusSize || seen[x.Value] || x.Message == "" {
				return nil, errorf(ErrInvalid, "message value %d is out of range, repeated or has no message", x.Value)
			}
			seen[x.Value] = true
		}
		if len(seen) != 1<<m.StatusSize {
			return nil, errorf(ErrInvalid, "a message list of status size %d needs %d messages, not %d", m.StatusSize, 1<<m.StatusSize, len(seen))
		}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Service{cfg: cfg, base: base}, nil
}

// checkBaseURL validates a BaseURL and returns it without a trailing slash.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", errorf(ErrInvalid, "BaseURL %q is not an absolute URL without query or fragment", raw)
	}
	local := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"
	if u.Scheme != "https" && !(u.Scheme == "http" && local) {
		return "", errorf(ErrInvalid, "BaseURL %q must be https", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// BaseURL returns the configured base URL without a trailing slash.
func (s *Service) BaseURL() string { return s.base }

// ListURL returns the URL of list id in format f.
func (s *Service) ListURL(id string, f Format) string { return listURL(s.base, id, f) }

func listURL(base, id string, f Format) string {
	if f == FormatStatusList2021 {
		return base + "/" + id + "/" + string(FormatStatusList2021)
	}
	return base + "/" + id
}

// purposes returns the purposes a new credential gets entries for.
func (s *Service) purposes() []string {
	p := []string{PurposeRevocation}
	if s.cfg.Suspension {
		p = append(p, PurposeSuspension)
	}
	if s.cfg.Messages != nil {
		p = append(p, PurposeMessage)
	}
	return p
}

// Allocate hands out one fresh entry per configured purpose (revocation,
// then suspension and message when enabled) for a credential of issuerID,
// working only through tx: under the store's lock, the newest list of
// (issuer, purpose) with room gives its next ordinal — a full list rolls
// over to a new one of Config.Entries entries with a fresh id and secret
// seed — and the ordinal is mapped to the list index through the list's
// keyed Permutation. Indexes are therefore distinct, never reused, and
// reveal neither issuance order nor volume. When tx rolls back, nothing
// was handed out.
func (s *Service) Allocate(ctx context.Context, tx store.Repos, issuerID string) ([]store.StatusRef, error) {
	if issuerID == "" {
		return nil, errorf(ErrInvalid, "Allocate: empty issuer")
	}
	refs := make([]store.StatusRef, 0, 3)
	for _, p := range s.purposes() {
		ref, err := s.allocate(ctx, tx, issuerID, p)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

func (s *Service) allocate(ctx context.Context, tx store.Repos, issuer, purpose string) (store.StatusRef, error) {
	var newErr error
	newList := func() store.StatusList {
		l, err := s.newList(issuer, purpose)
		newErr = err
		return l
	}
	l, ordinal, err := tx.StatusLists().Allocate(ctx, issuer, purpose, newList)
	if newErr != nil {
		return store.StatusRef{}, newErr
	}
	if err != nil {
		return store.StatusRef{}, fmt.Errorf("status: allocating a %s entry: %w", purpose, err)
	}
	p, err := NewPermutation(l.Seed, l.Size)
	if err != nil {
		return store.StatusRef{}, fmt.Errorf("status: list %s: %w", l.ID, err)
	}
	idx, err := p.Index(ordinal)
	if err != nil {
		return store.StatusRef{}, fmt.Errorf("status: list %s: %w", l.ID, err)
	}
	return store.StatusRef{Purpose: purpose, ListID: l.ID, Index: idx}, nil
}

// newList makes a fresh list: a random 16-character id and a 32-byte seed.
func (s *Service) newList(issuer, purpose string) (store.StatusList, error) {
	var b [12 + 32]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
		return store.StatusList{}, fmt.Errorf("status: reading randomness: %w", err)
	}
	size := 1
	if purpose == PurposeMessage {
		size = s.cfg.Messages.StatusSize
	}
	return store.StatusList{
		ID: base64.RawURLEncoding.EncodeToString(b[:12]), Issuer: issuer, Purpose: purpose,
		Size: s.cfg.Entries, StatusSize: size, Seed: b[12:],
	}, nil
}

// Entry returns the credentialStatus entry for ref in a credential of
// data model v: a BitstringStatusListEntry pointing at the list's
// Bitstring URL for VC 2.0, a StatusList2021Entry pointing at its
// StatusList2021 URL for VC 1.1. Its id is the list URL with the index as
// fragment. A message entry also carries statusSize and statusMessage.
func (s *Service) Entry(ref store.StatusRef, v vc.Version) (vc.StatusEntry, error) {
	if !validListID(ref.ListID) || ref.Index < 0 || !validPurpose(ref.Purpose) {
		return vc.StatusEntry{}, errorf(ErrInvalid, "status reference %+v is not valid", ref)
	}
	f, typ := FormatBitstring, TypeBitstringEntry
	if v == vc.V1 {
		if ref.Purpose == PurposeMessage {
			return vc.StatusEntry{}, errorf(ErrInvalid, "message entries need VC 2.0 (Bitstring Status List)")
		}
		f, typ = FormatStatusList2021, Type2021Entry
	}
	u := s.ListURL(ref.ListID, f)
	idx := strconv.Itoa(ref.Index)
	e := vc.StatusEntry{ID: u + "#" + idx, Type: typ, StatusPurpose: ref.Purpose, StatusListIndex: idx, StatusListCredential: u}
	if ref.Purpose == PurposeMessage && s.cfg.Messages != nil {
		size, _ := json.Marshal(s.cfg.Messages.StatusSize)
		type statusMessage struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		}
		msgs := make([]statusMessage, 0, len(s.cfg.Messages.Messages))
		for _, m := range s.cfg.Messages.Messages {
			msgs = append(msgs, statusMessage{"0x" + strconv.FormatInt(int64(m.Value), 16), m.Message})
		}
		mb, _ := json.Marshal(msgs)
		e.Extra = vc.Extra{"statusSize": size, "statusMessage": mb}
	}
	return e, nil
}

// SetStatus sets the entry ref to value (1 revokes or suspends, 0
// reinstates a suspension; any value of a message list) through tx.
// Idempotent: changed is false when the entry already had that value.
func (s *Service) SetStatus(ctx context.Context, tx store.Repos, ref store.StatusRef, value int) (changed bool, err error) {
	changed, err = tx.StatusLists().SetStatus(ctx, ref.ListID, ref.Index, value)
	if err != nil {
		return false, fmt.Errorf("status: setting %s entry %s[%d]: %w", ref.Purpose, ref.ListID, ref.Index, err)
	}
	return changed, nil
}

// setAward sets every purpose entry of every credential issued for award
// to value and returns how many distinct entries it found.
func (s *Service) setAward(ctx context.Context, tx store.Repos, award uuid.UUID, purpose string, value int) (int, error) {
	recs, err := tx.Issuance().ListByAward(ctx, award)
	if err != nil {
		return 0, fmt.Errorf("status: listing credentials of award %s: %w", award, err)
	}
	seen := map[store.StatusRef]bool{}
	for _, r := range recs {
		for _, ref := range r.Status {
			if ref.Purpose != purpose || seen[ref] {
				continue
			}
			seen[ref] = true
			if _, err := s.SetStatus(ctx, tx, ref, value); err != nil {
				return len(seen), err
			}
		}
	}
	return len(seen), nil
}

// RevokeAward sets the revocation entry of every credential issued for
// award. Call it with the transaction that revokes the award, so that no
// revocation is lost to a race or a crash; it is idempotent. Revocation
// is permanent: a credential issued later for the same award must get new
// entries.
func (s *Service) RevokeAward(ctx context.Context, tx store.Repos, award credential.Award) error {
	_, err := s.setAward(ctx, tx, award.UUID, PurposeRevocation, 1)
	return err
}

// SuspendAward sets the suspension entry of every credential issued for
// award and returns how many entries it found: 0 means the credentials
// have no suspension entry (Config.Suspension was off when they were
// issued) and nothing was suspended. Idempotent.
func (s *Service) SuspendAward(ctx context.Context, tx store.Repos, award uuid.UUID) (int, error) {
	return s.setAward(ctx, tx, award, PurposeSuspension, 1)
}

// UnsuspendAward clears the suspension entries SuspendAward set and
// returns how many entries it found. Idempotent.
func (s *Service) UnsuspendAward(ctx context.Context, tx store.Repos, award uuid.UUID) (int, error) {
	return s.setAward(ctx, tx, award, PurposeSuspension, 0)
}

// SetAwardMessage sets the message entry of every credential issued for
// award to value. ErrInvalid without a message list.
func (s *Service) SetAwardMessage(ctx context.Context, tx store.Repos, award uuid.UUID, value int) (int, error) {
	if s.cfg.Messages == nil {
		return 0, errorf(ErrInvalid, "no message list is configured")
	}
	return s.setAward(ctx, tx, award, PurposeMessage, value)
}

// ListFill is how full one list is.
type ListFill struct {
	ListID  string
	Issuer  string
	Purpose string
	// Used is the number of entries handed out; Size the list's size.
	Used int64
	Size int
	// Ratio is Used/Size, between 0 and 1.
	Ratio float64
}

// FillRatio returns the fraction of l's entries handed out.
func FillRatio(l store.StatusList) float64 {
	if l.Size <= 0 {
		return 0
	}
	return float64(l.Next) / float64(l.Size)
}

// Fill returns the fill of the lists of issuer (every issuer when empty),
// oldest first: the metric that says when lists roll over.
func Fill(ctx context.Context, repos store.Repos, issuer string) ([]ListFill, error) {
	ls, err := repos.StatusLists().List(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("status: listing lists: %w", err)
	}
	out := make([]ListFill, 0, len(ls))
	for _, l := range ls {
		out = append(out, ListFill{ListID: l.ID, Issuer: l.Issuer, Purpose: l.Purpose, Used: l.Next, Size: l.Size, Ratio: FillRatio(l)})
	}
	return out, nil
}

// Bits reads list id's entries from repos into a Bitstring, with the
// list's Version read in the same transaction.
func Bits(ctx context.Context, repos store.Repos, l store.StatusList) (*Bitstring, int64, error) {
	entries, version, err := repos.StatusLists().Entries(ctx, l.ID)
	if err != nil {
		return nil, 0, fmt.Errorf("status: reading list %s: %w", l.ID, err)
	}
	ss := l.StatusSize
	if ss == 0 {
		ss = 1
	}
	b, err := NewBitstring(l.Size, ss)
	if err != nil {
		return nil, 0, err
	}
	for _, e := range entries {
		if err := b.Set(e.Index, e.Value); err != nil {
			return nil, 0, fmt.Errorf("status: list %s: %w", l.ID, err)
		}
	}
	return b, version, nil
}
