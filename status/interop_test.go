package status_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/proof"
	"github.com/google/uuid"
)

// needNode returns the interop/node directory, skipping the test when its
// node_modules or node is missing (failing with CREDSHARE_REQUIRE_INTEROP=1).
func needNode(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "interop", "node"))
	if err != nil {
		t.Fatal(err)
	}
	_, errMods := os.Stat(filepath.Join(dir, "node_modules"))
	_, errNode := exec.LookPath("node")
	if errMods != nil || errNode != nil {
		if os.Getenv("CREDSHARE_REQUIRE_INTEROP") == "1" {
			t.Fatalf("interop verifiers missing (node_modules: %v, node: %v); run scripts/interop-up.sh", errMods, errNode)
		}
		t.Skip("interop/node/node_modules or node missing: run scripts/interop-up.sh (make test does this), or set CREDSHARE_REQUIRE_INTEROP=1 to fail instead")
	}
	return dir
}

// signedCredential returns a minimal credential of issuer with entries,
// signed as wallets expect for its data model.
func signedCredential(t *testing.T, iss issuerKey, v vc.Version, entries []vc.StatusEntry) map[string]any {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second).Add(-time.Minute).Format(time.RFC3339)
	doc := map[string]any{
		"id": "urn:uuid:" + uuid.NewString(), "type": []string{"VerifiableCredential"}, "issuer": iss.DID,
		"credentialSubject": map[string]any{"id": "did:example:holder"}, "credentialStatus": entries,
	}
	suite := proof.SuiteEddsaRdfc2022
	if v == vc.V1 {
		doc["@context"] = []string{vc.ContextV1, vc.ContextStatusList2021}
		doc["issuanceDate"] = now
		suite = proof.SuiteEd25519Signature2020
	} else {
		doc["@context"] = []string{vc.ContextV2}
		doc["validFrom"] = now
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := proof.Sign(context.Background(), raw, iss.Signer, proof.Options{Suite: suite})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(signed, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

type nodeResult struct {
	Verified       bool     `json:"verified"`
	StatusVerified bool     `json:"statusVerified"`
	Set            []string `json:"set"`
	Error          string   `json:"error"`
}

// TestDigitalBazaarStatusListsAcceptOurLists has
// @digitalbazaar/vc-bitstring-status-list and @digitalbazaar/vc-status-list
// load our list credentials (verifying their proofs and issuer) and read
// our entries: valid passes, revoked and suspended are detected, and an
// Open edX list migrated by MigrateOpenEdX shows its revocations.
func TestDigitalBazaarStatusListsAcceptOurLists(t *testing.T) {
	dir := needNode(t)
	ctx := context.Background()
	f := newPubFixture(t, status.PublisherConfig{})
	p, err := status.NewPublisher(status.PublisherConfig{Store: f.st, BaseURL: base, Signers: []status.ListSigner{f.iss.Lists}})
	if err != nil {
		t.Fatal(err)
	}
	valid, revoked, suspended := uuid.New(), uuid.New(), uuid.New()
	refs := map[uuid.UUID][]vc.StatusEntry{}
	refs1 := map[uuid.UUID][]vc.StatusEntry{}
	for _, a := range []uuid.UUID{valid, revoked, suspended} {
		for _, r := range issue(t, f.st, f.svc, f.iss.DID, a) {
			e2, _ := f.svc.Entry(r, vc.V2)
			e1, _ := f.svc.Entry(r, vc.V1)
			refs[a] = append(refs[a], e2)
			refs1[a] = append(refs1[a], e1)
		}
	}
	if err := f.svc.RevokeAward(ctx, f.st, awardOf(revoked)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SuspendAward(ctx, f.st, suspended); err != nil {
		t.Fatal(err)
	}
	lists := map[string]json.RawMessage{}
	for _, es := range [][]vc.StatusEntry{refs[valid], refs1[valid]} {
		for _, e := range es {
			f := status.FormatBitstring
			if e.Type == status.Type2021Entry {
				f = status.FormatStatusList2021
			}
			id := filepath.Base(e.StatusListCredential)
			if f == status.FormatStatusList2021 {
				id = filepath.Base(filepath.Dir(e.StatusListCredential))
			}
			d, err := p.Document(ctx, id, f)
			if err != nil {
				t.Fatal(err)
			}
			lists[e.StatusListCredential] = d.Body
		}
	}

	// An Open edX list: one 0x01 byte per revoked index (5), at Open edX's URL.
	oeURL := "https://lms.example.edu/verifiable_credentials/api/v1/status-list/2021/v1/" + f.iss.DID + "/"
	raw := make([]byte, 10000)
	raw[5] = 1
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	oe, _ := json.Marshal(map[string]any{
		"@context": []string{vc.ContextV1, vc.ContextStatusList2021}, "id": oeURL,
		"type": []string{"VerifiableCredential", "StatusList2021Credential"}, "issuer": map[string]string{"id": f.iss.DID},
		"issuanceDate":      "2024-01-01T00:00:00Z",
		"credentialSubject": map[string]string{"id": oeURL + "#list", "type": "StatusList2021", "statusPurpose": "revocation", "encodedList": base64.RawURLEncoding.EncodeToString(gz.Bytes())},
	})
	migrated, err := status.MigrateOpenEdX(ctx, oe, f.iss.Lists, time.Now().Add(-time.Minute), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	lists[oeURL] = migrated
	oeEntry := func(i string) []vc.StatusEntry {
		return []vc.StatusEntry{{ID: oeURL + "#" + i, Type: status.Type2021Entry, StatusPurpose: "revocation", StatusListIndex: i, StatusListCredential: oeURL}}
	}

	// The same Open edX list signed as is (one byte per entry): a
	// conformant reader misses index 5 — the bug the migration fixes.
	var oeDoc map[string]any
	_ = json.Unmarshal(oe, &oeDoc)
	oeDoc["id"] = oeURL + "raw"
	oeDoc["credentialSubject"].(map[string]any)["id"] = oeURL + "raw#list"
	oeRaw, _ := json.Marshal(oeDoc)
	signedRaw, err := f.iss.Lists.SignList(ctx, oeRaw)
	if err != nil {
		t.Fatal(err)
	}
	lists[oeURL+"raw"] = signedRaw
	rawEntry := []vc.StatusEntry{{ID: oeURL + "raw#5", Type: status.Type2021Entry, StatusPurpose: "revocation", StatusListIndex: "5", StatusListCredential: oeURL + "raw"}}
	other := newIssuer(t)

	type tc struct {
		cred     map[string]any
		want     []string
		listFail bool
	}
	cases := map[string]tc{
		"bitstring-valid":     {signedCredential(t, f.iss, vc.V2, refs[valid]), nil, false},
		"bitstring-revoked":   {signedCredential(t, f.iss, vc.V2, refs[revoked]), []string{"revocation"}, false},
		"bitstring-suspended": {signedCredential(t, f.iss, vc.V2, refs[suspended]), []string{"suspension"}, false},
		"sl2021-valid":        {signedCredential(t, f.iss, vc.V1, refs1[valid]), nil, false},
		"sl2021-revoked":      {signedCredential(t, f.iss, vc.V1, refs1[revoked]), []string{"revocation"}, false},
		"sl2021-suspended":    {signedCredential(t, f.iss, vc.V1, refs1[suspended]), []string{"suspension"}, false},
		"openedx-revoked":     {signedCredential(t, f.iss, vc.V1, oeEntry("5")), []string{"revocation"}, false},
		"openedx-valid":       {signedCredential(t, f.iss, vc.V1, oeEntry("6")), nil, false},
		"openedx-unmigrated":  {signedCredential(t, f.iss, vc.V1, rawEntry), nil, false},
		"foreign-issuer":      {signedCredential(t, other, vc.V2, refs[revoked]), nil, true},
	}
	type nodeCase struct {
		Name       string                     `json:"name"`
		Credential map[string]any             `json:"credential"`
		Lists      map[string]json.RawMessage `json:"lists"`
	}
	var in struct {
		Cases []nodeCase `json:"cases"`
	}
	for name, c := range cases {
		in.Cases = append(in.Cases, nodeCase{name, c.cred, lists})
	}
	file := filepath.Join(t.TempDir(), "cases.json")
	b, _ := json.Marshal(in)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(tctx, "node", filepath.Join(dir, "status-verify.mjs"), file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res struct {
		Results map[string]nodeResult `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for name, c := range cases {
		r, ok := res.Results[name]
		if !ok {
			t.Errorf("%s: no result", name)
			continue
		}
		slices.Sort(r.Set)
		if !r.Verified || r.StatusVerified == c.listFail || !slices.Equal(r.Set, c.want) {
			t.Errorf("%s: verified %v, status verified %v, set %v (want %v): %s", name, r.Verified, r.StatusVerified, r.Set, c.want, r.Error)
		}
	}
}
