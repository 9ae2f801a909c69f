package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/jwt"
	"github.com/credshare/credshare/vc/proof"
	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newIssueCmd) }

// Proof formats issue can produce (--proof).
const (
	proofVCJWT = "vc-jwt"
)

var proofChoices = []string{proof.SuiteEddsaRdfc2022, proof.SuiteEddsaJcs2022, proof.SuiteEd25519Signature2020, proofVCJWT}

// issueSpec is the award description issue reads from --from (JSON); every
// field can also be given, or overridden, by a flag.
type issueSpec struct {
	Issuer struct {
		Name string `json:"name"`
		URL  string `json:"url,omitempty"`
		// Key is the issuer key file (keygen's output or a bare JWK).
		Key string `json:"key,omitempty"`
		// DID is the issuer's DID when Key is a bare JWK of a did:web.
		DID string `json:"did,omitempty"`
	} `json:"issuer"`
	Learner struct {
		UserID      int64  `json:"user_id,omitempty"`
		Name        string `json:"name,omitempty"`
		Email       string `json:"email,omitempty"`
		HolderDID   string `json:"holder_did,omitempty"`
		IncludeName bool   `json:"include_name,omitempty"`
		Salt        string `json:"salt,omitempty"`
	} `json:"learner"`
	Achievement struct {
		Kind        string `json:"kind"`
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
		Criteria    string `json:"criteria,omitempty"`
		Image       string `json:"image,omitempty"`
	} `json:"achievement"`
	AwardedAt  string            `json:"awarded_at,omitempty"`
	ValidUntil string            `json:"valid_until,omitempty"`
	Evidence   map[string]string `json:"evidence,omitempty"`
	Status     []vc.StatusEntry  `json:"credential_status,omitempty"`

	awardUUID uuid.UUID // the stored award's UUID with --award
}

func newIssueCmd(g *globals) *cobra.Command {
	var spec issueSpec
	var templateID string
	var from, out, proofName, awardID, statusList, statusPurpose, statusType string
	var vcVersion string
	var statusIndex int64 = -1
	cmd := &cobra.Command{
		Use:   "issue",
		Short: "Sign an Open Badges 3.0 credential for an award (from flags, a JSON description or a stored award)",
		Long: `issue composes an Open Badges 3.0 OpenBadgeCredential for one award and signs it
with the issuer key from keygen. The award is described by flags, by a small
JSON file (--from), or read from the store (--award UUID: learner, achievement
and, for badges, the template's name and description; --template UUID: a
badge of that template for the learner given by flags). Flags override the file.

The subject is the holder's DID (--holder) or, without one, a salted hash of
the learner's e-mail address. The signed credential (JSON, or the compact
VC-JWT with --proof vc-jwt) goes to stdout or --out.`,
		Example: `  credshare issue --key issuer.json --issuer-name "Example University" \
    --email ada@example.org --kind course_certificate --achievement-id course-v1:X+PY1+2026 \
    --achievement-name "Python fundamentals" > cred.json
  credshare issue --from award.json --proof vc-jwt --vc-version 1.1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if from != "" {
				var f issueSpec
				b, err := os.ReadFile(from)
				if err != nil {
					return err
				}
				dec := json.NewDecoder(bytes.NewReader(b))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&f); err != nil {
					return fmt.Errorf("%s: %w", from, err)
				}
				mergeSpec(cmd, &spec, f)
			}
			if statusList != "" {
				if statusIndex < 0 {
					return fmt.Errorf("--status-list needs --status-index")
				}
				spec.Status = append(spec.Status, vc.StatusEntry{
					ID:   statusList + "#" + strconv.FormatInt(statusIndex, 10),
					Type: statusType, StatusPurpose: statusPurpose,
					StatusListIndex: strconv.FormatInt(statusIndex, 10), StatusListCredential: statusList,
				})
			}
			if !contains(proofChoices, proofName) {
				return fmt.Errorf("--proof %q: want one of %s", proofName, strings.Join(proofChoices, ", "))
			}
			var ver vc.Version
			switch vcVersion {
			case "2", "2.0":
				ver = vc.V2
			case "1", "1.1":
				ver = vc.V1
			default:
				return fmt.Errorf("--vc-version %q: want 2 or 1.1", vcVersion)
			}
			if spec.Issuer.Key == "" {
				return fmt.Errorf("no issuer key: pass --key FILE (make one with credshare keygen)")
			}
			key, err := loadKey(spec.Issuer.Key, spec.Issuer.DID)
			if err != nil {
				return err
			}
			if awardID != "" && templateID != "" {
				return fmt.Errorf("give --award or --template, not both")
			}
			if awardID != "" {
				if err := specFromStore(ctx, g, awardID, &spec); err != nil {
					return err
				}
			}
			if templateID != "" {
				if err := specFromTemplate(ctx, g, templateID, &spec); err != nil {
					return err
				}
			}
			req, err := composeRequest(spec, key.DID, ver)
			if err != nil {
				return err
			}
			cred, err := vc.Compose(req)
			if err != nil {
				return err
			}
			unsigned, err := json.Marshal(cred)
			if err != nil {
				return err
			}
			s, err := key.Signer()
			if err != nil {
				return err
			}
			var signed []byte
			if proofName == proofVCJWT {
				tok, err := jwt.Sign(ctx, unsigned, s)
				if err != nil {
					return err
				}
				signed = []byte(tok)
			} else {
				b, err := proof.Sign(ctx, unsigned, s, proof.Options{Suite: proofName})
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				if err := json.Indent(&buf, b, "", "  "); err != nil {
					return err
				}
				signed = buf.Bytes()
			}
			if out != "" {
				if err := os.WriteFile(out, append(signed, '\n'), 0o644); err != nil {
					return err
				}
			}
			res := map[string]any{"id": cred.ID, "issuer": key.DID, "proof": proofName, "vc_version": vcVersion}
			if out != "" {
				res["file"] = out
			}
			if proofName == proofVCJWT {
				res["jwt"] = string(signed)
			} else {
				res["credential"] = json.RawMessage(signed)
			}
			if g.asJSON {
				return g.emit(res, nil)
			}
			if out != "" {
				fmt.Fprintf(g.out, "issued %s (%s) to %s\n", cred.ID, proofName, out)
				return nil
			}
			_, err = fmt.Fprintf(g.out, "%s\n", signed)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "JSON award description (see docs/cli.md); flags override it")
	f.StringVar(&awardID, "award", "", "issue for this stored award (UUID, read from --db)")
	f.StringVar(&templateID, "template", "", "issue a badge of this stored template (UUID, read from --db): its name, description and image")
	f.StringVarP(&out, "out", "o", "", "write the credential to this file instead of stdout")
	f.StringVar(&proofName, "proof", proof.SuiteEddsaRdfc2022, "proof: "+strings.Join(proofChoices, "|"))
	f.StringVar(&vcVersion, "vc-version", "2", "VC data model: 2 or 1.1")
	f.StringVar(&spec.Issuer.Key, "key", "", "issuer key file (from credshare keygen, or an Ed25519 JWK)")
	f.StringVar(&spec.Issuer.DID, "issuer-did", "", "issuer DID when --key is a bare JWK of a did:web")
	f.StringVar(&spec.Issuer.Name, "issuer-name", "", "issuer's name (required)")
	f.StringVar(&spec.Issuer.URL, "issuer-url", "", "issuer's web site")
	f.Int64Var(&spec.Learner.UserID, "learner-id", 0, "LMS user id of the learner (recorded on the award, not in the credential)")
	f.StringVar(&spec.Learner.Name, "name", "", "learner's full name (put in the credential with --include-name)")
	f.StringVar(&spec.Learner.Email, "email", "", "learner's e-mail (hashed into the subject when there is no --holder)")
	f.StringVar(&spec.Learner.HolderDID, "holder", "", "holder's DID (the credential subject)")
	f.BoolVar(&spec.Learner.IncludeName, "include-name", false, "put the learner's name into the credential")
	f.StringVar(&spec.Learner.Salt, "salt", "", "salt of the hashed e-mail identifier")
	f.StringVar(&spec.Achievement.Kind, "kind", "", "achievement kind: course_certificate, program_certificate or badge")
	f.StringVar(&spec.Achievement.ID, "achievement-id", "", "course key, program UUID or badge template UUID")
	f.StringVar(&spec.Achievement.Name, "achievement-name", "", "achievement's name")
	f.StringVar(&spec.Achievement.Description, "achievement-description", "", "achievement's description")
	f.StringVar(&spec.Achievement.Criteria, "criteria", "", "how the achievement is earned (narrative)")
	f.StringVar(&spec.Achievement.Image, "image", "", "achievement image URL")
	f.StringVar(&spec.AwardedAt, "awarded-at", "", "award time, RFC 3339 (default now)")
	f.StringVar(&spec.ValidUntil, "valid-until", "", "expiry, RFC 3339 (default none)")
	f.StringVar(&statusList, "status-list", "", "URL of a status list credential to add a credentialStatus entry for")
	f.Int64Var(&statusIndex, "status-index", -1, "index in --status-list")
	f.StringVar(&statusPurpose, "status-purpose", vc.PurposeRevocation, "status purpose: revocation or suspension")
	f.StringVar(&statusType, "status-type", vc.StatusBitstring, "status entry type: BitstringStatusListEntry or StatusList2021Entry")
	return cmd
}

// mergeSpec fills spec (holding the flags' values) with the file's values
// for every flag that was not given.
func mergeSpec(cmd *cobra.Command, spec *issueSpec, f issueSpec) {
	set := func(flag string, dst *string, v string) {
		if !cmd.Flags().Changed(flag) {
			*dst = v
		}
	}
	set("key", &spec.Issuer.Key, f.Issuer.Key)
	set("issuer-did", &spec.Issuer.DID, f.Issuer.DID)
	set("issuer-name", &spec.Issuer.Name, f.Issuer.Name)
	set("issuer-url", &spec.Issuer.URL, f.Issuer.URL)
	set("name", &spec.Learner.Name, f.Learner.Name)
	set("email", &spec.Learner.Email, f.Learner.Email)
	set("holder", &spec.Learner.HolderDID, f.Learner.HolderDID)
	set("salt", &spec.Learner.Salt, f.Learner.Salt)
	set("kind", &spec.Achievement.Kind, f.Achievement.Kind)
	set("achievement-id", &spec.Achievement.ID, f.Achievement.ID)
	set("achievement-name", &spec.Achievement.Name, f.Achievement.Name)
	set("achievement-description", &spec.Achievement.Description, f.Achievement.Description)
	set("criteria", &spec.Achievement.Criteria, f.Achievement.Criteria)
	set("image", &spec.Achievement.Image, f.Achievement.Image)
	set("awarded-at", &spec.AwardedAt, f.AwardedAt)
	set("valid-until", &spec.ValidUntil, f.ValidUntil)
	if !cmd.Flags().Changed("learner-id") {
		spec.Learner.UserID = f.Learner.UserID
	}
	if !cmd.Flags().Changed("include-name") {
		spec.Learner.IncludeName = f.Learner.IncludeName
	}
	spec.Evidence = f.Evidence
	spec.Status = f.Status
}

// specFromStore fills spec from a stored award, its learner and (for a
// badge) its template, leaving values already given alone.
func specFromStore(ctx context.Context, g *globals, awardID string, spec *issueSpec) error {
	id, err := uuid.Parse(awardID)
	if err != nil {
		return fmt.Errorf("--award %q is not a UUID", awardID)
	}
	st, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	aw, err := st.Awards().GetByUUID(ctx, id)
	if err != nil {
		return fmt.Errorf("award %s: %w", id, err)
	}
	if aw.Status != credential.StatusAwarded {
		return fmt.Errorf("award %s is %s; only awarded awards get credentials", id, aw.Status)
	}
	l, err := st.Learners().Get(ctx, aw.LearnerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	spec.Learner.UserID = aw.LearnerID
	fill(&spec.Learner.Email, l.Email)
	fill(&spec.Learner.Name, l.FullName)
	spec.Achievement.Kind, spec.Achievement.ID = string(aw.Achievement.Kind), aw.Achievement.ID
	if aw.Achievement.Kind == credential.KindBadge {
		if tid, err := uuid.Parse(aw.Achievement.ID); err == nil {
			if t, err := st.Config().GetTemplate(ctx, tid); err == nil {
				fill(&spec.Achievement.Name, t.Name)
				fill(&spec.Achievement.Description, t.Description)
				fill(&spec.Achievement.Image, t.ImageURL)
			}
		}
	}
	fill(&spec.Achievement.Name, aw.Achievement.ID)
	fill(&spec.AwardedAt, aw.AwardedAt.UTC().Format(time.RFC3339))
	if spec.Evidence == nil {
		spec.Evidence = aw.Evidence
	}
	spec.awardUUID = aw.UUID
	return nil
}

// specFromTemplate fills spec's achievement from a stored badge template,
// leaving values already given alone.
func specFromTemplate(ctx context.Context, g *globals, templateID string, spec *issueSpec) error {
	id, err := uuid.Parse(templateID)
	if err != nil {
		return fmt.Errorf("--template %q is not a UUID", templateID)
	}
	st, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := st.Config().GetTemplate(ctx, id)
	if err != nil {
		return fmt.Errorf("template %s: %w", id, err)
	}
	spec.Achievement.Kind, spec.Achievement.ID = string(credential.KindBadge), t.UUID.String()
	for dst, v := range map[*string]string{&spec.Achievement.Name: t.Name, &spec.Achievement.Description: t.Description, &spec.Achievement.Image: t.ImageURL} {
		if *dst == "" {
			*dst = v
		}
	}
	return nil
}

// composeRequest validates spec and turns it into a vc.ComposeRequest.
func composeRequest(spec issueSpec, issuerDID string, ver vc.Version) (vc.ComposeRequest, error) {
	var problems []string
	if spec.Issuer.Name == "" {
		problems = append(problems, "the issuer needs a name (--issuer-name)")
	}
	if spec.Learner.HolderDID == "" && spec.Learner.Email == "" {
		problems = append(problems, "name the learner by --holder DID or --email")
	}
	if spec.Achievement.Name == "" {
		problems = append(problems, "the achievement needs a name (--achievement-name)")
	}
	kind := credential.Kind(spec.Achievement.Kind)
	if kind == "" {
		kind = credential.KindBadge
	}
	if !kind.Valid() {
		problems = append(problems, fmt.Sprintf("--kind %q: want course_certificate, program_certificate or badge", kind))
	}
	if spec.Achievement.ID == "" {
		problems = append(problems, "the achievement needs an id (--achievement-id: course key, program UUID or template UUID)")
	}
	awarded := time.Now().UTC()
	if spec.AwardedAt != "" {
		t, err := time.Parse(time.RFC3339, spec.AwardedAt)
		if err != nil {
			problems = append(problems, fmt.Sprintf("--awarded-at %q is not RFC 3339", spec.AwardedAt))
		}
		awarded = t
	}
	var until time.Time
	if spec.ValidUntil != "" {
		t, err := time.Parse(time.RFC3339, spec.ValidUntil)
		if err != nil {
			problems = append(problems, fmt.Sprintf("--valid-until %q is not RFC 3339", spec.ValidUntil))
		}
		until = t
	}
	if len(problems) > 0 {
		return vc.ComposeRequest{}, fmt.Errorf("cannot issue:\n  - %s", strings.Join(problems, "\n  - "))
	}
	learnerID := spec.Learner.UserID
	if learnerID <= 0 {
		// The credential does not carry the LMS id; an award needs one.
		learnerID = 1
	}
	aw, err := credential.NewAward(learnerID, credential.AchievementRef{Kind: kind, ID: spec.Achievement.ID},
		credential.Cause{EventTime: awarded, Reason: "issued with credshare issue"})
	if err != nil {
		return vc.ComposeRequest{}, err
	}
	if spec.awardUUID != uuid.Nil {
		aw.UUID = spec.awardUUID
	}
	aw.AwardedAt = awarded
	aw.Evidence = spec.Evidence
	ach := vc.Achievement{Name: spec.Achievement.Name, Description: spec.Achievement.Description}
	if spec.Achievement.Criteria != "" {
		ach.Criteria = &vc.Criteria{Narrative: spec.Achievement.Criteria}
	}
	if spec.Achievement.Image != "" {
		ach.Image = &vc.Image{ID: spec.Achievement.Image, Type: "Image"}
	}
	return vc.ComposeRequest{
		Award:        aw,
		Learner:      credential.Learner{UserID: learnerID, FullName: spec.Learner.Name, Email: spec.Learner.Email},
		Issuer:       vc.Profile{ID: issuerDID, Name: spec.Issuer.Name, URL: spec.Issuer.URL},
		Achievement:  ach,
		HolderID:     spec.Learner.HolderDID,
		IdentitySalt: spec.Learner.Salt,
		IncludeName:  spec.Learner.IncludeName,
		Version:      ver,
		ValidUntil:   until,
		Status:       spec.Status,
	}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
