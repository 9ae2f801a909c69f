package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/google/uuid"
)

// CLR data models (OfferRequest.DataModel): the offer delivers a
// Comprehensive Learner Record 2.0 transcript instead of the award's own
// credential. The offer's award is the transcript's anchor (a program
// certificate, say); which awards the transcript bundles is decided at
// issuance, from the store, by Config.Transcript — never by the wallet.
const (
	// DataModelCLR is a ClrCredential on VC 2.0 bundling OpenBadgeCredentials
	// on VC 2.0 (vc.DataModelOBv3).
	DataModelCLR = "clr"
	// DataModelCLRVC1 is a ClrCredential on VC 1.1 bundling
	// OpenBadgeCredentials on VC 1.1 (vc.DataModelOBv3VC1).
	DataModelCLRVC1 = "clr-vc1"
)

// MaxTranscriptAwards caps the awards one CLR bundles; a Transcript naming
// more is refused (the record would be too large for wallets to store).
const MaxTranscriptAwards = 200

// IsCLR reports whether dataModel is one of the CLR data models.
func IsCLR(dataModel string) bool { return dataModel == DataModelCLR || dataModel == DataModelCLRVC1 }

// embeddedModel returns the OBv3 data model of the credentials a CLR of
// data model clr embeds.
func embeddedModel(clr string) string {
	if clr == DataModelCLRVC1 {
		return vc.DataModelOBv3VC1
	}
	return vc.DataModelOBv3
}

// Transcript is what a CLR bundles, as Config.Transcript decides it.
type Transcript struct {
	// Awards are the awards whose credentials the record embeds, in order.
	// The service re-reads each from the store in the issuance transaction,
	// keeps those still awarded, refuses the issuance when any belongs to
	// another learner than the anchor's, and puts the anchor first when it
	// is missing.
	Awards []credential.Award
	// Name and Description describe the record ("Transcript: Data
	// Science"); Name defaults to the ComposeCLR default.
	Name, Description string
	// Partial marks a record holding part of the learner's achievements.
	Partial bool
}

// TranscriptFunc decides what a CLR anchored at an award bundles. anchor
// is the offer's award, re-read in the issuance transaction, awarded and
// owned by the authenticated learner; repos are that transaction's, for
// reads only. See LearnerTranscript and ProgramTranscript.
type TranscriptFunc func(ctx context.Context, repos store.Repos, anchor credential.Award) (Transcript, error)

// LearnerTranscript is the default TranscriptFunc: every current award of
// the anchor's learner (course and program certificates and badges), the
// anchor first.
func LearnerTranscript() TranscriptFunc {
	return func(ctx context.Context, repos store.Repos, anchor credential.Award) (Transcript, error) {
		t := Transcript{Awards: []credential.Award{anchor}}
		f := store.AwardFilter{LearnerID: anchor.LearnerID, Status: credential.StatusAwarded, Limit: 1000}
		for {
			page, err := repos.Awards().List(ctx, f)
			if err != nil {
				return t, fmt.Errorf("wallet: listing the awards of learner %d: %w", anchor.LearnerID, err)
			}
			for _, a := range page {
				if a.UUID != anchor.UUID {
					t.Awards = append(t.Awards, a)
				}
			}
			if len(page) < f.Limit || len(t.Awards) > MaxTranscriptAwards {
				return t, nil
			}
			f.After = page[len(page)-1].UUID
		}
	}
}

// ProgramTranscript returns a TranscriptFunc for program certificates: the
// record bundles the program certificate (the anchor, which must be a
// program certificate) and the learner's certificates of the program's
// courses, which courses returns for a program id (the host knows its
// catalogue). The courses the learner holds no current certificate of are
// left out and the record is marked Partial. Each course becomes a child of
// the program in the record (vc.AssociationIsChildOf, see
// VCIssuer.IssueCLR); the record is named "Transcript: " + the program's
// title when its certificate event carried one.
func ProgramTranscript(courses func(ctx context.Context, programID string) ([]string, error)) TranscriptFunc {
	return func(ctx context.Context, repos store.Repos, anchor credential.Award) (Transcript, error) {
		if anchor.Achievement.Kind != credential.KindProgramCertificate {
			return Transcript{}, Fail(ErrUnsupported, "a program transcript is offered for a program certificate, not a %s", anchor.Achievement.Kind)
		}
		keys, err := courses(ctx, anchor.Achievement.ID)
		if err != nil {
			return Transcript{}, fmt.Errorf("wallet: courses of program %s: %w", anchor.Achievement.ID, err)
		}
		t := Transcript{Awards: []credential.Award{anchor}}
		if title := anchor.Evidence["program_title"]; title != "" {
			t.Name = "Transcript: " + title
		}
		for _, k := range keys {
			a, err := repos.Awards().Get(ctx, anchor.LearnerID, credential.CourseCertificate(k))
			if errors.Is(err, store.ErrNotFound) || (err == nil && a.Status != credential.StatusAwarded) {
				t.Partial = true
				continue
			}
			if err != nil {
				return Transcript{}, fmt.Errorf("wallet: certificate of course %s: %w", k, err)
			}
			t.Awards = append(t.Awards, a)
		}
		return t, nil
	}
}

// CLRIssuer is implemented by an Issuer that also signs CLR transcripts
// (VCIssuer does). A Service offers the CLR data models only when its
// Issuer implements it.
type CLRIssuer interface {
	// IssueCLR composes the ClrCredential bundling req.Credentials and signs
	// it. Like Issue, it must not write to the store and may be called again
	// for the same request.
	IssueCLR(ctx context.Context, req CLRIssueRequest) (IssuedCredential, error)
}

// CLRIssueRequest is what CLRIssuer.IssueCLR gets.
type CLRIssueRequest struct {
	// Repos are the issuance transaction's repositories, for reads only.
	Repos store.Repos
	// Anchor is the offer's award (the program certificate of a program
	// transcript).
	Anchor credential.Award
	// Learner is the anchor's learner.
	Learner credential.Learner
	// Awards are the bundled awards, Anchor first, and Credentials their
	// signed ldp_vc OBv3 credentials (same order), issued to HolderDID.
	Awards      []credential.Award
	Credentials []json.RawMessage
	// Transcript is what Config.Transcript returned (its name, description
	// and partial flag).
	Transcript Transcript
	// IssuerID, HolderDID, CredentialID, Status, Format and IssuedAt are as
	// in IssueRequest; Status holds the CLR's own entries.
	IssuerID     string
	HolderDID    string
	CredentialID string
	Status       []store.StatusRef
	Format       string
	// DataModel is DataModelCLR or DataModelCLRVC1.
	DataModel string
	IssuedAt  time.Time
}

// IssueCLR implements CLRIssuer: vc.ComposeCLR builds the ClrCredential
// (the issuer's profile, the holder as subject, the embedded credentials'
// achievements; when the anchor is a program certificate every other
// achievement is its child), and the Signer signs it as ldp_vc or
// jwt_vc_json.
func (i *VCIssuer) IssueCLR(ctx context.Context, r CLRIssueRequest) (IssuedCredential, error) {
	if r.IssuerID != i.cfg.Profile.ID {
		return IssuedCredential{}, fmt.Errorf("wallet: issuance record names issuer %s, the signer is %s's", r.IssuerID, i.cfg.Profile.ID)
	}
	if r.Format != vc.FormatLDP && r.Format != vc.FormatJWT {
		return IssuedCredential{}, Fail(ErrUnsupported, "format %q is not produced", clip(r.Format))
	}
	if !IsCLR(r.DataModel) {
		return IssuedCredential{}, Fail(ErrUnsupported, "data model %q is not a CLR", clip(r.DataModel))
	}
	ver, err := vc.DataModelVersion(embeddedModel(r.DataModel))
	if err != nil {
		return IssuedCredential{}, err
	}
	if len(r.Awards) != len(r.Credentials) {
		return IssuedCredential{}, fmt.Errorf("wallet: %d awards for %d credentials", len(r.Awards), len(r.Credentials))
	}
	status := make([]vc.StatusEntry, 0, len(r.Status))
	for _, ref := range r.Status {
		e, err := i.cfg.Status(ref, ver)
		if err != nil {
			return IssuedCredential{}, fmt.Errorf("wallet: status entry %+v: %w", ref, err)
		}
		status = append(status, e)
	}
	var parent string
	var children []string
	for k, raw := range r.Credentials {
		c, err := vc.ParseCredential(raw)
		if err != nil || len(c.CredentialSubject) != 1 || c.CredentialSubject[0].Achievement == nil {
			return IssuedCredential{}, fmt.Errorf("wallet: embedded credential of award %s: not an OBv3 credential (%v)", r.Awards[k].UUID, err)
		}
		id := c.CredentialSubject[0].Achievement.ID
		if r.Awards[k].UUID == r.Anchor.UUID {
			parent = id
		} else if id != "" {
			children = append(children, id)
		}
	}
	var assoc []vc.Association
	if r.Anchor.Achievement.Kind == credential.KindProgramCertificate && parent != "" && len(children) > 0 {
		assoc = vc.ChildOf(parent, children...)
	}
	c, err := vc.ComposeCLR(vc.ComposeCLRRequest{
		Issuer: i.cfg.Profile, Credentials: r.Credentials, HolderID: r.HolderDID, Associations: assoc,
		CredentialID: r.CredentialID, Name: r.Transcript.Name, Description: r.Transcript.Description,
		Partial: r.Transcript.Partial, Version: ver, ValidFrom: r.IssuedAt, Status: status, Schema: i.cfg.Schema,
	})
	if err != nil {
		return IssuedCredential{}, err
	}
	signed, err := i.cfg.Signer.Issue(ctx, c, r.Format)
	if err != nil {
		return IssuedCredential{}, err
	}
	return IssuedCredential{ID: c.ID, Format: r.Format, Credential: signed}, nil
}

// reusableEmbedded reports whether the earlier record e holds an ldp_vc
// OBv3 credential of data model model that a CLR for holder may embed: issued
// by issuerID to holder since the award was last granted (a credential from
// before a revocation carries a permanently set revocation bit).
func reusableEmbedded(e store.IssuanceRecord, aw credential.Award, issuerID, holder, model string) bool {
	if e.State != store.IssuanceIssued || e.HolderDID != holder || e.IssuerID != issuerID || IsCLR(e.DataModel) ||
		len(e.Status) == 0 || e.IssuedAt.Before(aw.AwardedAt) {
		return false
	}
	want, _ := vc.DataModelVersion(model)
	got, err := vc.DataModelVersion(e.DataModel)
	if err != nil || got != want {
		return false
	}
	b := bytes.TrimSpace(e.Credential)
	return len(b) > 0 && b[0] == '{'
}

// issueCLR issues the CLR of record rec, anchored at the award anchor, in
// the issuance transaction tx: it returns the CLR's status entries, the
// signed CLR and its embedded credentials.
func (s *Service) issueCLR(ctx context.Context, tx store.Repos, rec store.IssuanceRecord, anchor credential.Award,
	learner credential.Learner, holder, format string, now time.Time) ([]store.StatusRef, IssuedCredential, []BundledCredential, error) {
	ci, ok := s.cfg.Issuer.(CLRIssuer)
	if !ok {
		return nil, IssuedCredential{}, nil, Fail(ErrUnsupported, "this issuer does not issue CLR transcripts")
	}
	t, err := s.cfg.Transcript(ctx, tx, anchor)
	if err != nil {
		var we *Error
		if errors.As(err, &we) {
			return nil, IssuedCredential{}, nil, we
		}
		return nil, IssuedCredential{}, nil, fmt.Errorf("wallet: transcript of award %s: %w", anchor.UUID, err)
	}
	awards, err := s.transcriptAwards(ctx, tx, anchor, t.Awards)
	if err != nil {
		return nil, IssuedCredential{}, nil, err
	}
	model := embeddedModel(rec.DataModel)
	creds := make([]json.RawMessage, 0, len(awards))
	bundled := make([]BundledCredential, 0, len(awards))
	for _, aw := range awards {
		b, raw, err := s.embedded(ctx, tx, rec, aw, learner, holder, model, now)
		if err != nil {
			return nil, IssuedCredential{}, nil, err
		}
		creds = append(creds, raw)
		bundled = append(bundled, b)
	}
	status, err := s.cfg.Status.Allocate(ctx, tx, rec.IssuerID)
	if err != nil {
		return nil, IssuedCredential{}, nil, fmt.Errorf("wallet: allocating status entries: %w", err)
	}
	if len(status) == 0 {
		return nil, IssuedCredential{}, nil, errors.New("wallet: the status allocator returned no entry")
	}
	cred, err := ci.IssueCLR(ctx, CLRIssueRequest{
		Repos: tx, Anchor: anchor, Learner: learner, Awards: awards, Credentials: creds, Transcript: t,
		IssuerID: rec.IssuerID, HolderDID: holder, CredentialID: "urn:uuid:" + rec.ID.String(), Status: status,
		Format: format, DataModel: rec.DataModel, IssuedAt: now,
	})
	if err := issueError(err, anchor); err != nil {
		return nil, IssuedCredential{}, nil, err
	}
	return status, cred, bundled, nil
}

// transcriptAwards re-reads the awards a transcript names in tx: the
// anchor first, each once, only those still awarded. An award of another
// learner fails the issuance: a TranscriptFunc must never put one there,
// and nothing the wallet sends can.
func (s *Service) transcriptAwards(ctx context.Context, tx store.Repos, anchor credential.Award, named []credential.Award) ([]credential.Award, error) {
	out := []credential.Award{anchor}
	seen := map[uuid.UUID]bool{anchor.UUID: true}
	for _, a := range named {
		if seen[a.UUID] {
			continue
		}
		seen[a.UUID] = true
		cur, err := tx.Awards().GetByUUID(ctx, a.UUID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("wallet: loading award %s: %w", a.UUID, err)
		}
		if cur.LearnerID != anchor.LearnerID {
			s.logger(ctx).ErrorContext(ctx, "CLR refused: the transcript names an award of another learner",
				"anchor", anchor.UUID, "award", cur.UUID, "learner", anchor.LearnerID)
			return nil, fmt.Errorf("wallet: the transcript of award %s names award %s of another learner", anchor.UUID, cur.UUID)
		}
		if cur.Status != credential.StatusAwarded {
			continue
		}
		if len(out) == MaxTranscriptAwards {
			return nil, fmt.Errorf("wallet: the transcript of award %s names more than %d awards", anchor.UUID, MaxTranscriptAwards)
		}
		out = append(out, cur)
	}
	return out, nil
}

// embedded returns the ldp_vc OBv3 credential of award aw (of learner,
// the anchor's) to embed in the CLR of record clr: an earlier one issued to holder since the award was
// last granted, or a new one, recorded as an issued record of aw (status
// entries reused or allocated as for any credential of aw).
func (s *Service) embedded(ctx context.Context, tx store.Repos, clr store.IssuanceRecord, aw credential.Award,
	learner credential.Learner, holder, model string, now time.Time) (BundledCredential, json.RawMessage, error) {
	earlier, err := tx.Issuance().ListByAward(ctx, aw.UUID)
	if err != nil {
		return BundledCredential{}, nil, fmt.Errorf("wallet: listing issuances of award %s: %w", aw.UUID, err)
	}
	for i := len(earlier) - 1; i >= 0; i-- {
		if e := earlier[i]; reusableEmbedded(e, aw, clr.IssuerID, holder, model) {
			return BundledCredential{Award: aw.UUID, IssuanceID: e.ID, CredentialID: e.CredentialID, Reused: true}, e.Credential, nil
		}
	}
	rec := store.IssuanceRecord{
		ID: uuid.New(), AwardUUID: aw.UUID, LearnerID: aw.LearnerID, IssuerID: clr.IssuerID, Wallet: clr.Wallet,
		Format: vc.FormatLDP, DataModel: model,
		// The record is never offered: its challenge is spent at birth.
		Challenge: NewToken(), ChallengeExpires: now, ChallengeUsedAt: now, State: store.IssuancePending, CreatedAt: now,
	}
	status, _, err := s.status(ctx, tx, rec, aw, holder)
	if err != nil {
		return BundledCredential{}, nil, err
	}
	cred, err := s.cfg.Issuer.Issue(ctx, IssueRequest{
		Repos: tx, Award: aw, Learner: learner, IssuerID: rec.IssuerID, HolderDID: holder,
		CredentialID: "urn:uuid:" + rec.ID.String(), Status: status, Format: vc.FormatLDP, DataModel: model, IssuedAt: now,
	})
	if err := issueError(err, aw); err != nil {
		return BundledCredential{}, nil, err
	}
	if err := tx.Issuance().Create(ctx, rec); err != nil {
		return BundledCredential{}, nil, fmt.Errorf("wallet: storing the issuance record of award %s: %w", aw.UUID, err)
	}
	if err := tx.Issuance().MarkIssued(ctx, rec.ID, holder, status, cred.ID, cred.Credential, now); err != nil {
		return BundledCredential{}, nil, fmt.Errorf("wallet: recording issuance %s: %w", rec.ID, err)
	}
	return BundledCredential{Award: aw.UUID, IssuanceID: rec.ID, CredentialID: cred.ID}, cred.Credential, nil
}
