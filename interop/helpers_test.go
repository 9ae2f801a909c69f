package interop_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

// nodeDir is interop/node, next to this file.
func nodeDir(t testing.TB) string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "node")
}

// needNode skips (or, with CREDSHARE_REQUIRE_INTEROP=1, fails) when the
// node verifiers are not installed.
func needNode(t testing.TB) string {
	t.Helper()
	dir := nodeDir(t)
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

// runNode runs verify.mjs with args and returns its stdout.
func runNode(t testing.TB, args ...string) []byte {
	t.Helper()
	dir := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, "verify.mjs")}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("node verify.mjs %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes()
}

type peerResult struct {
	Verified bool   `json:"verified"`
	Skipped  bool   `json:"skipped"`
	Error    string `json:"error"`
}

type report struct {
	Files map[string]map[string]peerResult `json:"files"`
}

// ours is our issuing side: a did:key issuer with an Issuer.
type ours struct {
	key    ed25519.PrivateKey
	did    string
	signer *vc.KeySigner
	is     *issuer.Issuer
}

func newOurs(t testing.TB) *ours {
	key := vctest.Key()
	d, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, err := vc.NewSigner(key, vm)
	if err != nil {
		t.Fatal(err)
	}
	is, err := issuer.New(issuer.Config{Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	return &ours{key: key, did: d, signer: s, is: is}
}

const listURL = "https://example.edu/status/1"

// statusList returns a Bitstring status list credential (unsigned JSON) of
// 131,072 entries with the given indexes set. Its subject's type is a
// plain string: Digital Bazaar's checker compares it as one (vc.Types
// always writes an array, so the list is built as a map).
func statusList(issuerDID string, set ...int) []byte {
	bits := make([]byte, 131072/8)
	for _, i := range set {
		bits[i/8] |= 0x80 >> (i % 8)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(bits)
	_ = w.Close()
	b, _ := json.Marshal(map[string]any{
		"@context":  []string{vc.ContextV2},
		"id":        listURL,
		"type":      []string{"VerifiableCredential", "BitstringStatusListCredential"},
		"issuer":    issuerDID,
		"validFrom": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"credentialSubject": map[string]any{
			"id": listURL + "#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
			"encodedList": "u" + base64.RawURLEncoding.EncodeToString(gz.Bytes()),
		},
	})
	return b
}

// fileStatus is a Bitstring status checker over list credentials held in
// memory (by URL): it verifies the list's proof with our verifier, checks
// the issuer and the purpose, and reads the bit — what the status
// package's checker does over HTTP.
type fileStatus struct {
	lists map[string][]byte
	v     *verify.Verifier
}

func (f *fileStatus) CheckStatus(ctx context.Context, issuerID string, e vc.StatusEntry) (vc.StatusResult, error) {
	b, ok := f.lists[e.StatusListCredential]
	if !ok {
		return vc.StatusResult{}, errors.New("status list not found")
	}
	r := f.v.VerifyCredential(ctx, b)
	if !r.Valid() {
		return vc.StatusResult{}, r.Error()
	}
	if r.Issuer != issuerID {
		return vc.StatusResult{}, errors.New("status list of another issuer")
	}
	s := r.Credential.CredentialSubject[0]
	var purpose, enc string
	_ = json.Unmarshal(s.Extra["statusPurpose"], &purpose)
	_ = json.Unmarshal(s.Extra["encodedList"], &enc)
	if purpose != e.StatusPurpose || len(enc) < 2 || enc[0] != 'u' {
		return vc.StatusResult{}, errors.New("status list purpose or encoding mismatch")
	}
	gz, err := base64.RawURLEncoding.DecodeString(enc[1:])
	if err != nil {
		return vc.StatusResult{}, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return vc.StatusResult{}, err
	}
	var bits bytes.Buffer
	if _, err := bits.ReadFrom(zr); err != nil {
		return vc.StatusResult{}, err
	}
	i, err := strconv.Atoi(e.StatusListIndex)
	if err != nil || i < 0 || i/8 >= bits.Len() {
		return vc.StatusResult{}, errors.New("status index out of range")
	}
	return vc.StatusResult{Set: bits.Bytes()[i/8]&(0x80>>(i%8)) != 0, Purpose: purpose}, nil
}
