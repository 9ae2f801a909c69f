package interop_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/vctest"
)

// TestSampleUpToDate keeps interop/node/sample-obv3.json (the unsigned
// ~2 KB credential the node side issues and times) equal to what Compose
// makes; CREDSHARE_UPDATE_SAMPLE=1 rewrites it.
func TestSampleUpToDate(t *testing.T) {
	c, err := vc.Compose(vctest.Request("did:example:issuer", "did:example:holder", vc.V2))
	if err != nil {
		t.Fatal(err)
	}
	c.CredentialStatus = nil
	want, _ := json.MarshalIndent(c, "", " ")
	want = append(want, '\n')
	path := filepath.Join(nodeDir(t), "sample-obv3.json")
	if os.Getenv("CREDSHARE_UPDATE_SAMPLE") == "1" {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s is stale; run with CREDSHARE_UPDATE_SAMPLE=1", path)
	}
}
