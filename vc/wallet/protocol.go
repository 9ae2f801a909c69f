package wallet

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// Wallet kinds (Info.Kind).
const (
	// Mobile is a wallet app on a phone, reached by a deep link or a QR code.
	Mobile = "mobile"
	// Web is a wallet in the browser, reached by a redirect.
	Web = "web"
)

// Info describes a wallet delivery protocol: who it is for and how an
// offer is made, how the wallet's request is authenticated and how the
// credential comes back. It is what a host lists to learners (Open edX's
// "storages").
type Info struct {
	// ID selects the protocol ("lcw", "vcapi", "oid4vci", a plugin's). It
	// is stable: it is stored in issuance records.
	ID string `json:"id"`
	// Name is a display name ("Learner Credential Wallet").
	Name string `json:"name"`
	// Kind is Mobile or Web.
	Kind string `json:"kind"`
	// OfferBy says how the learner's wallet is reached: "deep-link",
	// "vc-api-exchange", "credential-offer".
	OfferBy string `json:"offer_by"`
	// AuthBy says how the wallet's request is authenticated:
	// "didauth-presentation" (a presentation signed by the holder over a
	// one-time challenge) or "pre-authorized-code+jwt-proof".
	AuthBy string `json:"auth_by"`
	// ReturnBy says how the credential comes back: "credential" (the signed
	// credential as the response body), "presentation" (wrapped in a
	// presentation) or "credential-response" (an OID4VCI credential response).
	ReturnBy string `json:"return_by"`
	// Formats lists the credential formats the protocol can deliver
	// (vc.FormatLDP, vc.FormatJWT).
	Formats []string `json:"formats"`
}

// OfferRequest asks a wallet protocol to offer an award's credential.
type OfferRequest struct {
	// LearnerID is the authenticated learner, as the host established it;
	// never a value taken from a request body. Offers are refused for an
	// award this learner does not own.
	LearnerID int64 `json:"learner_id"`
	// AwardUUID is the award whose credential is offered.
	AwardUUID uuid.UUID `json:"award_uuid"`
	// Format is the credential format (vc.FormatLDP when empty). Protocols that
	// let the wallet choose (OID4VCI) ignore it.
	Format string `json:"format,omitempty"`
	// DataModel is the credential data model ("obv3", "obv3-vc1", …); empty
	// selects the protocol's default. DataModelCLR or DataModelCLRVC1 offers
	// a CLR 2.0 transcript anchored at AwardUUID instead: the server decides
	// at issuance which of the learner's awards it bundles (Config.Transcript).
	DataModel string `json:"data_model,omitempty"`
}

// Offer is what a learner needs to start the wallet's side: a link to
// tap, a QR code to scan, or a protocol message to hand over.
type Offer struct {
	// Wallet is the protocol's id.
	Wallet string `json:"wallet"`
	// IssuanceID is the issuance record created for the offer.
	IssuanceID uuid.UUID `json:"issuance_id"`
	// URL is the endpoint the wallet talks to: the LCW request URL, the
	// VC-API exchange URL, the OID4VCI credential offer URI.
	URL string `json:"url"`
	// DeepLink opens the wallet app (dccrequest://…, openid-credential-offer://…).
	DeepLink string `json:"deep_link"`
	// UniversalLink is an https link that opens the app when it is
	// installed and a web page otherwise; empty when the protocol has none.
	UniversalLink string `json:"universal_link,omitempty"`
	// AppLinks maps a platform ("android", "ios") to the app's store page.
	AppLinks map[string]string `json:"app_links,omitempty"`
	// QRCodePNG is a PNG image of a QR code encoding DeepLink.
	QRCodePNG []byte `json:"qr_code_png,omitempty"`
	// Message is the protocol message itself when it has one (an OID4VCI
	// credential offer, a VC-API interaction), as JSON.
	Message []byte `json:"message,omitempty"`
	// ExpiresAt is when the offer stops being usable.
	ExpiresAt time.Time `json:"expires_at"`
}

// Protocol is a wallet delivery protocol. Implementations live in
// sub-packages (lcw, vcapi, oid4vci) and are selected by Info.ID.
//
// A Protocol keeps no state of its own between requests: everything an
// exchange needs is in the store, so any replica serves any step.
type Protocol interface {
	// Info describes the protocol. It never changes for a given value.
	Info() Info
	// Offer starts the delivery of an award's credential. It fails with an
	// error the caller can map to 403 when req.LearnerID does not own the
	// award, and to 404 when the award does not exist. Safe for concurrent
	// use; each call creates a new one-time offer.
	Offer(ctx context.Context, req OfferRequest) (Offer, error)
	// Handler serves the wallet-facing endpoints with paths relative to
	// wherever the host mounts it (http.StripPrefix). The endpoints need no
	// host session: the wallet authenticates with what the offer gave it.
	Handler() http.Handler
}
