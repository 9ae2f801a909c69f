package interop_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/wallettest"
	"github.com/go-jose/go-jose/v4"
)

// TestOID4VCICLRJWT delivers a program transcript as a VC-JWT
// (oid4vci.CLRJWTConfigurationID) through the whole pre-authorized code
// flow, step by step as a wallet takes it: offer, issuer metadata, token,
// c_nonce, proof of possession, credential request. The JWT it gets is
// verified by our verifier (signature, holder binding, the embedded
// credentials' proofs, every status entry), by go-jose with the issuer's
// public key (no code of ours on that path), and, when the node verifiers
// are installed, by jose and, for the embedded credentials, Digital Bazaar;
// then again after a bundled course is revoked. Requests for a
// configuration or format that was not offered get the OID4VCI codes and
// spend neither the access token nor the c_nonce.
func TestOID4VCICLRJWT(t *testing.T) {
	ctx := context.Background()
	o := newOurs(t)
	e := newCLRIssuer(t, o)
	h, _ := wallettest.NewHolder()
	h.Client = e.client

	// The CLR offer lists both CLR configurations and nothing else; one
	// restricted to jwt_vc_json lists the JWT one.
	var offer oid4vci.CredentialOffer
	if err := json.Unmarshal(e.initCLR(t, oid4vci.ID, "").Offer.Message, &offer); err != nil ||
		!slices.Equal(offer.CredentialConfigurationIDs, []string{oid4vci.CLRConfigurationID, oid4vci.CLRJWTConfigurationID}) {
		t.Fatalf("CLR offer %+v %v", offer, err)
	}
	in := e.initCLR(t, oid4vci.ID, vc.FormatJWT)

	// Offer by reference.
	_, uri, err := oid4vci.ParseOfferLink(in.DeepLink)
	if err != nil || uri == "" {
		t.Fatalf("deep link %q: %v", in.DeepLink, err)
	}
	b, _, err := h.Do(ctx, http.MethodGet, uri, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	off, err := oid4vci.ParseOffer(b)
	if err != nil || !slices.Equal(off.CredentialConfigurationIDs, []string{oid4vci.CLRJWTConfigurationID}) {
		t.Fatalf("offer %s: %v", b, err)
	}

	// Issuer metadata: the JWT CLR configuration.
	b, _, err = h.Do(ctx, http.MethodGet, off.CredentialIssuer+"/.well-known/openid-credential-issuer", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var md wallettest.IssuerMetadata
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Format     string   `json:"format"`
		Binding    []string `json:"cryptographic_binding_methods_supported"`
		SigningAlg []string `json:"credential_signing_alg_values_supported"`
		ProofTypes map[string]struct {
			Algs []string `json:"proof_signing_alg_values_supported"`
		} `json:"proof_types_supported"`
		Definition map[string]json.RawMessage `json:"credential_definition"`
	}
	if err := json.Unmarshal(md.Configurations[oid4vci.CLRJWTConfigurationID], &conf); err != nil {
		t.Fatalf("metadata %s: %v", b, err)
	}
	var types []string
	_ = json.Unmarshal(conf.Definition["type"], &types)
	if conf.Format != vc.FormatJWT || !slices.Equal(types, []string{"VerifiableCredential", vc.TypeClrCredential}) ||
		conf.Definition["@context"] != nil || !slices.Contains(conf.Binding, "did:key") ||
		!slices.Equal(conf.SigningAlg, []string{"EdDSA"}) || !slices.Contains(conf.ProofTypes["jwt"].Algs, "EdDSA") {
		t.Fatalf("configuration %s: %+v", oid4vci.CLRJWTConfigurationID, conf)
	}

	// Token for the pre-authorized code, then a c_nonce and the proof.
	code := off.Grants[oid4vci.GrantPreAuthorized].(oid4vci.PreAuthorizedGrant).Code
	form := url.Values{"grant_type": {oid4vci.GrantPreAuthorized}, "pre-authorized_code": {code}}
	b, _, err = h.Do(ctx, http.MethodPost, md.TokenEndpoint, "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		t.Fatal(err)
	}
	var tok oid4vci.TokenResponse
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token response %s", b)
	}
	nonce, err := h.Nonce(ctx, md)
	if err != nil {
		t.Fatal(err)
	}
	pop, err := h.ProofJWT(wallettest.ProofOptions{Audience: md.CredentialIssuer, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	request := func(members map[string]any) ([]byte, error) {
		members["proof"] = map[string]string{"proof_type": "jwt", "jwt": pop}
		body, _ := json.Marshal(members)
		b, _, err := h.Do(ctx, http.MethodPost, md.CredentialEndpoint, "application/json", body,
			http.Header{"Authorization": {"Bearer " + tok.AccessToken}})
		return b, err
	}

	// What was not offered is refused, with the same token and proof.
	for name, c := range map[string]struct {
		req  map[string]any
		code string
	}{
		"unknown configuration":   {map[string]any{"credential_configuration_id": "ClrCredential_vc+sd-jwt"}, "unsupported_credential_type"},
		"the ldp_vc CLR":          {map[string]any{"credential_configuration_id": oid4vci.CLRConfigurationID}, "unsupported_credential_type"},
		"an Open Badge":           {map[string]any{"credential_configuration_id": "OpenBadgeCredential_jwt_vc_json"}, "unsupported_credential_type"},
		"format of another":       {map[string]any{"credential_configuration_id": oid4vci.CLRJWTConfigurationID, "format": vc.FormatLDP}, "invalid_credential_request"},
		"draft 13, wrong format":  {map[string]any{"format": "mso_mdoc"}, "unsupported_credential_format"},
		"draft 13, ldp_vc format": {map[string]any{"format": vc.FormatLDP, "credential_definition": map[string]any{"type": []string{vc.TypeClrCredential}}}, "unsupported_credential_format"},
	} {
		_, err := request(c.req)
		var re *wallettest.ResponseError
		if !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Code != c.code {
			t.Errorf("%s: got %v, want 400 %s", name, err, c.code)
		}
	}

	// The JWT CLR.
	b, err = request(map[string]any{"credential_configuration_id": oid4vci.CLRJWTConfigurationID})
	if err != nil {
		t.Fatal(err)
	}
	var cr oid4vci.CredentialResponse
	var token string
	if err := json.Unmarshal(b, &cr); err != nil || len(cr.Credentials) != 1 || json.Unmarshal(cr.Credentials[0].Credential, &token) != nil ||
		cr.Format != vc.FormatJWT {
		t.Fatalf("credential response %s", b)
	}
	// The token obtained its credential.
	_, err = request(map[string]any{"credential_configuration_id": oid4vci.CLRJWTConfigurationID})
	var re *wallettest.ResponseError
	if !errors.As(err, &re) || re.Status != http.StatusUnauthorized || re.Code != "invalid_token" {
		t.Fatalf("token used twice: %v", err)
	}

	// Ours: signature, subject, embedded credentials, status.
	checker, err := statusproof.NewChecker(did.NewResolver(), status.WithNetPolicy(netguard.Localhost()), status.WithMaxCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	ver, err := verify.New(verify.Config{Resolver: did.NewResolver(), Status: checker})
	if err != nil {
		t.Fatal(err)
	}
	r := ver.VerifyCredential(ctx, []byte(token))
	if !r.Valid() || r.Format != vc.FormatJWT || len(r.Embedded) != 3 || !r.Credential.Type.Has(vc.TypeClrCredential) ||
		r.Credential.CredentialSubject[0].ID != h.DID || r.Credential.Issuer.ID != o.did {
		t.Fatalf("ours: %s %+v (%s, %d embedded)", r.Verdict, r.Reasons, r.Format, len(r.Embedded))
	}
	for i, em := range r.Embedded {
		if !em.Valid() || em.Credential.CredentialSubject[0].ID != h.DID {
			t.Errorf("embedded %d: %s %+v", i, em.Verdict, em.Reasons)
		}
	}

	// go-jose, with the issuer's key as we hold it.
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		t.Fatalf("go-jose parse: %v", err)
	}
	if kid := jws.Signatures[0].Header.KeyID; kid != o.signer.VerificationMethod() {
		t.Fatalf("kid %q, want %q", kid, o.signer.VerificationMethod())
	}
	payload, err := jws.Verify(o.key.Public())
	if err != nil {
		t.Fatalf("go-jose verify: %v", err)
	}
	var claims struct {
		Iss, Sub, Jti string
		VC            struct {
			Type    []string `json:"type"`
			Subject struct {
				ID  string            `json:"id"`
				VCs []json.RawMessage `json:"verifiableCredential"`
			} `json:"credentialSubject"`
		} `json:"vc"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Iss != o.did || claims.Sub != h.DID ||
		claims.Jti != r.Credential.ID || !slices.Contains(claims.VC.Type, vc.TypeClrCredential) ||
		claims.VC.Subject.ID != h.DID || len(claims.VC.Subject.VCs) != 3 {
		t.Fatalf("claims %s: %v", payload, err)
	}
	parts := strings.Split(token, ".")
	parts[1] = parts[1][:len(parts[1])-4] + "AAAA"
	if bad, err := jose.ParseSignedCompact(strings.Join(parts, "."), []jose.SignatureAlgorithm{jose.EdDSA}); err == nil {
		if _, err := bad.Verify(o.key.Public()); err == nil {
			t.Fatal("go-jose accepted a tampered token")
		}
	}

	// jose and Digital Bazaar (embedded credentials and their status).
	t.Run("node", func(t *testing.T) {
		needNode(t)
		e.peersCheck(t, "oid4vci-clr.jwt", []byte(token), true, "jose", "digitalbazaar")
	})

	// A bundled course revoked: ours says revoked; Digital Bazaar rejects
	// the embedded credential (jose checks the signature only).
	e.revokeStats(t)
	if r := ver.VerifyCredential(ctx, []byte(token)); r.Verdict != vc.VerdictRevoked || !r.Has(vc.ReasonEmbedded) {
		t.Fatalf("ours after revoking a course: %s %+v", r.Verdict, r.Reasons)
	}
	t.Run("node revoked", func(t *testing.T) {
		needNode(t)
		e.peersCheck(t, "oid4vci-clr-revoked-course.jwt", []byte(token), false, "digitalbazaar")
	})
}
