// Package ob2 serves Open Badges 2.0 hosted assertions, for platforms that
// import only OB 2.0: an http.Handler answering, under a base URL,
//
//	GET {base}/assertions/{award uuid}     the award's Assertion
//	GET {base}/badges/{kind}/{achievement}  the achievement's BadgeClass
//	GET {base}/issuer                       the issuer's Profile
//
// built from the store's awards, badge templates (through a
// wallet.AchievementFunc) and the configured issuer profile. Every id is
// the document's own URL, derived from the award's UUID or the
// achievement reference, so URLs stay the same across restarts and
// replicas.
//
// # Verification and revocation
//
// Assertions use hosted verification ({"type": "hosted"}): the assertion's
// id is its URL, and a consumer verifies it by fetching it. An assertion
// whose award is revoked answers 410 Gone with {"revoked": true,
// "revocationReason": …} (the OB 2.0 revoked-assertion form); the reason is
// generic, never the event that caused the revocation. No RevocationList
// is served: it is needed only for signed verification, which this package
// does not do.
//
// # Privacy
//
// The recipient is an e-mail IdentityObject, always hashed: "sha256$" and
// the hex SHA-256 of the lower-cased e-mail address and a per-award salt
// (an HMAC of the award UUID under Config.SaltKey, so it too is stable).
// No name, e-mail address, username, learner id or evidence is served.
// Unknown, malformed and unservable URLs all answer the same 404; details
// go to the log.
package ob2

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/google/uuid"
)

// ContextV2 is the Open Badges 2.0 JSON-LD context.
const ContextV2 = "https://w3id.org/openbadges/v2"

// ContentType is the media type of every document served.
const ContentType = "application/ld+json"

// Issuer is the issuer's OB 2.0 Profile; Name and URL are required.
type Issuer struct {
	Name        string
	URL         string
	Email       string
	Description string
	// Image is the URL of the issuer's logo.
	Image string
}

// Config configures a Handler.
type Config struct {
	// Store holds the awards, learners and templates. Required.
	Store store.Store
	// BaseURL is the absolute https URL the handler is reachable at
	// ("https://example.edu/ob2"); document ids are built from it. Required.
	BaseURL string
	// Issuer is the issuer profile. Required.
	Issuer Issuer
	// SaltKey keys the per-award salts of the hashed recipient identities
	// (at least 16 bytes; keep it secret and stable: changing it changes
	// every assertion's hash). Required.
	SaltKey []byte
	// Achievement describes achievements (name, description, criteria,
	// image); default wallet.StoreAchievements(Issuer.Name, nil).
	Achievement wallet.AchievementFunc
	// DefaultImage is the badge image of achievements without one (OB 2.0
	// requires an image on a BadgeClass); default Issuer.Image. One of the
	// two is required.
	DefaultImage string
	// Log receives the details of failed requests; default slog.Default().
	Log *slog.Logger
}

// Handler serves the hosted documents. It is safe for concurrent use.
type Handler struct {
	cfg  Config
	base string
	mux  *http.ServeMux
}

// New validates cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.Store == nil:
		return nil, errors.New("ob2: Config.Store is required")
	case err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("ob2: Config.BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	case cfg.Issuer.Name == "" || cfg.Issuer.URL == "":
		return nil, errors.New("ob2: Config.Issuer needs a Name and a URL")
	case len(cfg.SaltKey) < 16:
		return nil, errors.New("ob2: Config.SaltKey needs at least 16 bytes")
	case cfg.DefaultImage == "" && cfg.Issuer.Image == "":
		return nil, errors.New("ob2: Config.DefaultImage or Config.Issuer.Image is required (OB 2.0 BadgeClasses need an image)")
	}
	if cfg.Achievement == nil {
		cfg.Achievement = wallet.StoreAchievements(cfg.Issuer.Name, nil)
	}
	if cfg.DefaultImage == "" {
		cfg.DefaultImage = cfg.Issuer.Image
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	h := &Handler{cfg: cfg, base: strings.TrimSuffix(cfg.BaseURL, "/"), mux: http.NewServeMux()}
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	h.mux.HandleFunc("GET "+p+"/assertions/{id}", h.assertion)
	h.mux.HandleFunc("GET "+p+"/badges/{kind}/{id}", h.badgeClass)
	h.mux.HandleFunc("GET "+p+"/issuer", h.issuer)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { notFound(w) })
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// AssertionURL returns the URL (and id) of an award's assertion.
func (h *Handler) AssertionURL(award uuid.UUID) string {
	return h.base + "/assertions/" + award.String()
}

// BadgeClassURL returns the URL (and id) of an achievement's BadgeClass.
func (h *Handler) BadgeClassURL(ref credential.AchievementRef) string {
	return h.base + "/badges/" + url.PathEscape(string(ref.Kind)) + "/" + url.PathEscape(ref.ID)
}

// IssuerURL returns the URL (and id) of the issuer's Profile.
func (h *Handler) IssuerURL() string { return h.base + "/issuer" }

// IdentityObject is an OB 2.0 recipient.
type IdentityObject struct {
	Type     string `json:"type"`
	Hashed   bool   `json:"hashed"`
	Salt     string `json:"salt"`
	Identity string `json:"identity"`
}

// Verification is an OB 2.0 verification object.
type Verification struct {
	Type string `json:"type"`
}

// Assertion is an OB 2.0 Assertion (hosted).
type Assertion struct {
	Context      string          `json:"@context"`
	Type         string          `json:"type"`
	ID           string          `json:"id"`
	Recipient    *IdentityObject `json:"recipient,omitempty"`
	Badge        string          `json:"badge,omitempty"`
	Verification *Verification   `json:"verification,omitempty"`
	IssuedOn     string          `json:"issuedOn,omitempty"`
	// Revoked and RevocationReason are set on a revoked assertion, which
	// carries nothing else.
	Revoked          bool   `json:"revoked,omitempty"`
	RevocationReason string `json:"revocationReason,omitempty"`
}

// Criteria is an OB 2.0 Criteria object.
type Criteria struct {
	Narrative string `json:"narrative,omitempty"`
	ID        string `json:"id,omitempty"`
}

// BadgeClass is an OB 2.0 BadgeClass.
type BadgeClass struct {
	Context     string   `json:"@context"`
	Type        string   `json:"type"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Image       string   `json:"image,omitempty"`
	Criteria    Criteria `json:"criteria"`
	Issuer      string   `json:"issuer"`
	Tags        []string `json:"tags,omitempty"`
}

// Profile is an OB 2.0 issuer Profile.
type Profile struct {
	Context     string `json:"@context"`
	Type        string `json:"type"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	URL         string `json:"url"`
	Email       string `json:"email,omitempty"`
	Description string `json:"description,omitempty"`
	Image       string `json:"image,omitempty"`
}

// Salt returns the salt of an award's recipient hash.
func (h *Handler) Salt(award uuid.UUID) string {
	m := hmac.New(sha256.New, h.cfg.SaltKey)
	m.Write([]byte("credshare-ob2-salt\x00" + award.String()))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// HashIdentity returns the OB 2.0 hashed identity of an e-mail address
// with salt: "sha256$" and the hex SHA-256 of the trimmed, lower-cased
// address followed by the salt.
func HashIdentity(email, salt string) string {
	s := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email)) + salt))
	return "sha256$" + hex.EncodeToString(s[:])
}

// Assertion builds the assertion of an award: the revoked form for a
// revoked award. It fails with store.ErrNotFound when there is no such
// award or its learner has no e-mail address to hash.
func (h *Handler) Assertion(ctx context.Context, id uuid.UUID) (Assertion, error) {
	aw, err := h.cfg.Store.Awards().GetByUUID(ctx, id)
	if err != nil {
		return Assertion{}, err
	}
	a := Assertion{Context: ContextV2, Type: "Assertion", ID: h.AssertionURL(aw.UUID)}
	if aw.Status == credential.StatusRevoked {
		a.Revoked, a.RevocationReason = true, revocationReason(aw.RevokedBy)
		return a, nil
	}
	if aw.Status != credential.StatusAwarded {
		return Assertion{}, store.NotFound("awarded award", id)
	}
	l, err := h.cfg.Store.Learners().Get(ctx, aw.LearnerID)
	if err != nil {
		return Assertion{}, err
	}
	if strings.TrimSpace(l.Email) == "" {
		return Assertion{}, store.NotFound("learner e-mail of award", id)
	}
	salt := h.Salt(aw.UUID)
	a.Recipient = &IdentityObject{Type: "email", Hashed: true, Salt: salt, Identity: HashIdentity(l.Email, salt)}
	a.Badge = h.BadgeClassURL(aw.Achievement)
	a.Verification = &Verification{Type: "hosted"}
	a.IssuedOn = aw.AwardedAt.UTC().Truncate(time.Second).Format(time.RFC3339)
	return a, nil
}

func revocationReason(by credential.RevokedBy) string {
	if by == credential.RevokedByPerson {
		return "Revoked by the issuer."
	}
	return "The requirements of the badge are no longer met."
}

// describeFrom bounds the awards BadgeClass reads to describe an
// achievement.
const describeFrom = 50

// BadgeClass builds the BadgeClass of an achievement, described from one
// of its awards (a badge's from its template; a certificate's from the
// latest of the first 50 awards, by UUID, that carries evidence). It fails with
// store.ErrNotFound when the achievement has no award.
func (h *Handler) BadgeClass(ctx context.Context, ref credential.AchievementRef) (BadgeClass, error) {
	if err := ref.Validate(); err != nil {
		return BadgeClass{}, store.NotFound("achievement", ref.String())
	}
	aws, err := h.cfg.Store.Awards().List(ctx, store.AwardFilter{Kind: ref.Kind, AchievementID: ref.ID, Limit: describeFrom})
	if err != nil {
		return BadgeClass{}, err
	}
	if len(aws) == 0 {
		return BadgeClass{}, store.NotFound("achievement", ref.String())
	}
	// Certificates are described from their award's evidence (the titles
	// the certificate event carried): prefer an award that has some, then
	// the latest.
	pick := aws[0]
	for _, aw := range aws[1:] {
		if (len(aw.Evidence) > 0) != (len(pick.Evidence) > 0) {
			if len(aw.Evidence) > 0 {
				pick = aw
			}
			continue
		}
		if aw.AwardedAt.After(pick.AwardedAt) {
			pick = aw
		}
	}
	ach, err := h.cfg.Achievement(ctx, h.cfg.Store, pick)
	if err != nil {
		return BadgeClass{}, err
	}
	b := BadgeClass{Context: ContextV2, Type: "BadgeClass", ID: h.BadgeClassURL(ref), Name: ach.Name,
		Description: ach.Description, Image: h.cfg.DefaultImage, Issuer: h.IssuerURL(), Tags: ach.Tag}
	if b.Name == "" {
		b.Name = ref.ID
	}
	if b.Description == "" {
		b.Description = b.Name
	}
	if ach.Image != nil && ach.Image.ID != "" {
		b.Image = ach.Image.ID
	}
	if ach.Criteria != nil {
		b.Criteria = Criteria{Narrative: ach.Criteria.Narrative, ID: ach.Criteria.ID}
	}
	if b.Criteria == (Criteria{}) {
		b.Criteria.Narrative = "Awarded by " + h.cfg.Issuer.Name + "."
	}
	return b, nil
}

// Profile returns the issuer's Profile.
func (h *Handler) Profile() Profile {
	i := h.cfg.Issuer
	return Profile{Context: ContextV2, Type: "Issuer", ID: h.IssuerURL(), Name: i.Name, URL: i.URL,
		Email: i.Email, Description: i.Description, Image: i.Image}
}

func (h *Handler) assertion(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil || id.String() != r.PathValue("id") {
		notFound(w)
		return
	}
	a, err := h.Assertion(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if a.Revoked {
		status = http.StatusGone
	}
	write(w, status, a)
}

func (h *Handler) badgeClass(w http.ResponseWriter, r *http.Request) {
	b, err := h.BadgeClass(r.Context(), credential.AchievementRef{Kind: credential.Kind(r.PathValue("kind")), ID: r.PathValue("id")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	write(w, http.StatusOK, b)
}

func (h *Handler) issuer(w http.ResponseWriter, _ *http.Request) {
	write(w, http.StatusOK, h.Profile())
}

// fail logs err and answers a generic 404 (not found) or 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		h.cfg.Log.DebugContext(r.Context(), "ob2: not found", "path", r.URL.Path, "err", err)
		notFound(w)
		return
	}
	h.cfg.Log.ErrorContext(r.Context(), "ob2: serving", "path", r.URL.Path, "err", err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(`{"error":"internal error"}` + "\n"))
}

func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"error":"not found"}` + "\n"))
}

func write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v) // escapes <, > and & too
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Public documents, fetched by badge displayers and backpacks.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
