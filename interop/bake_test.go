package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/bake"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

type unbaked struct {
	File       string `json:"file"`
	Credential string `json:"credential"`
	Error      string `json:"error"`
}

// runUnbake runs interop/node/unbake.mjs (png-chunks-extract and sax, no
// code shared with vc/bake) on files and returns its answer per file name.
func runUnbake(t *testing.T, files ...string) map[string]unbaked {
	t.Helper()
	dir := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, "unbake.mjs")}, files...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("node unbake.mjs: %v\n%s", err, errb.String())
	}
	got := map[string]unbaked{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var u unbaked
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			t.Fatalf("unbake.mjs line %q: %v", sc.Text(), err)
		}
		got[u.File] = u
	}
	return got
}

// TestPeersUnbakeOurs bakes signed Open Badges 3.0 credentials (Data
// Integrity eddsa-rdfc-2022 and eddsa-jcs-2022, VC-JWT) into PNG and SVG
// images with vc/bake, has an independent reader extract them (PNG: the
// npm png-chunks-extract chunk reader, CRC-checked, and the iTXt fields
// split by the specification; SVG: the npm sax parser, namespace-aware),
// and checks the extracted credential is byte for byte the one baked and
// that it still verifies: with our verifier and with Digital Bazaar (jose
// for the VC-JWT). An image whose credential chunk was altered is refused
// by the independent reader's CRC check.
func TestPeersUnbakeOurs(t *testing.T) {
	needNode(t)
	ctx := context.Background()
	o := newOurs(t)
	list, err := o.is.SignDocument(ctx, statusList(o.did, revokedIndex), proof.SuiteEddsaRdfc2022)
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string][]byte{listURL: list}
	req := vctest.Request(o.did, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", vc.V2)
	req.ValidFrom = time.Now().Add(-time.Hour)
	req.Status[0].ID, req.Status[0].StatusListIndex, req.Status[0].StatusListCredential = listURL+"#5", "5", listURL
	c, err := vc.Compose(req)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Type.Has("OpenBadgeCredential") {
		t.Fatalf("not an Open Badges 3.0 credential: %v", c.Type)
	}
	creds := map[string][]byte{} // name -> as issued
	for name, suite := range map[string]string{"rdfc": proof.SuiteEddsaRdfc2022, "jcs": proof.SuiteEddsaJcs2022} {
		if creds[name], err = o.is.IssueWith(ctx, c, vc.FormatLDP, suite); err != nil {
			t.Fatal(err)
		}
	}
	if creds["jwt"], err = o.is.Issue(ctx, c, vc.FormatJWT); err != nil { // a JSON string holding the JWS
		t.Fatal(err)
	}

	var pngBuf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(3, 3, color.RGBA{200, 30, 30, 255})
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	svg := []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle cx="4" cy="4" r="3" fill="#c81e1e"/></svg>` + "\n")

	dir, verDir := t.TempDir(), t.TempDir()
	var files []string
	want := map[string][]byte{} // baked file -> the credential an unbaker must find
	for name, cred := range creds {
		exp := bytes.TrimSpace(cred)
		if name == "jwt" {
			var s string
			if err := json.Unmarshal(cred, &s); err != nil {
				t.Fatal(err)
			}
			exp = []byte(s)
		}
		for ext, src := range map[string][]byte{"png": pngBuf.Bytes(), "svg": svg} {
			baked, err := bake.Bake(ctx, src, cred)
			if err != nil {
				t.Fatalf("bake %s into %s: %v", name, ext, err)
			}
			f := filepath.Join(dir, name+"."+ext)
			if err := os.WriteFile(f, baked, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
			want[name+"."+ext] = exp
		}
	}
	// The rdfc PNG with one byte of the credential text changed, CRC left.
	good, _ := os.ReadFile(filepath.Join(dir, "rdfc.png"))
	bad := bytes.Replace(good, []byte("Demonstration Course"), []byte("Demolition Course!!!"), 1)
	if bytes.Equal(bad, good) {
		t.Fatal("no credential text in the baked PNG")
	}
	if err := os.WriteFile(filepath.Join(dir, "altered.png"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	got := runUnbake(t, append(files, filepath.Join(dir, "altered.png"))...)

	v, _ := verify.New(verify.Config{})
	v, _ = verify.New(verify.Config{Status: &fileStatus{lists: lists, v: v}})
	for file, exp := range want {
		u := got[file]
		if u.Error != "" || u.Credential == "" {
			t.Errorf("%s: the independent reader found no credential: %q", file, u.Error)
			continue
		}
		if u.Credential != string(exp) {
			t.Errorf("%s: extracted credential differs from the one baked:\n got %s\nwant %s", file, clip(u.Credential), clip(string(exp)))
			continue
		}
		if res := v.VerifyCredential(ctx, []byte(u.Credential)); res.Verdict != vc.VerdictValid {
			t.Errorf("%s: ours: %s %v", file, res.Verdict, res.Reasons)
		}
		out := strings.ReplaceAll(file, ".", "-") + ".json"
		if strings.HasPrefix(file, "jwt.") {
			out = strings.TrimSuffix(out, ".json") + ".jwt"
		}
		if err := os.WriteFile(filepath.Join(verDir, out), []byte(u.Credential), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if u := got["altered.png"]; u.Error == "" || !strings.Contains(strings.ToLower(u.Error), "crc") {
		t.Errorf("altered.png: the independent reader did not refuse it for its CRC: %+v", u)
	}

	// Digital Bazaar (and jose for the VC-JWT) verify what was extracted.
	if err := os.MkdirAll(filepath.Join(verDir, "lists"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(verDir, "lists", "1.json"), list, 0o644); err != nil {
		t.Fatal(err)
	}
	var rep report
	if out := runNode(t, "verify", verDir); json.Unmarshal(out, &rep) != nil {
		t.Fatalf("report: %s", out)
	}
	checked := 0
	for file := range want {
		out := strings.ReplaceAll(file, ".", "-") + ".json"
		peer := "digitalbazaar"
		if strings.HasPrefix(file, "jwt.") {
			out, peer = strings.TrimSuffix(out, ".json")+".jwt", "jose"
		}
		r, ok := rep.Files[out][peer]
		switch {
		case !ok || r.Skipped:
			t.Errorf("%s: %s did not check it (%s)", file, peer, r.Error)
		case !r.Verified:
			t.Errorf("%s: %s rejected the unbaked credential: %s", file, peer, r.Error)
		default:
			checked++
		}
	}
	if checked != len(want) || len(want) != 6 {
		t.Errorf("%d of %d unbaked credentials verified by a peer", checked, len(want))
	}
}
