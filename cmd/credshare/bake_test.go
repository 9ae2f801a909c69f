package main

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc/bake"
)

// TestBakeUnbakeVerify bakes credentials issued by credshare issue (an
// eddsa-rdfc-2022 proof and a VC-JWT) into a PNG and an SVG badge with
// credshare bake, reads them back with credshare unbake, and verifies
// them with unbake --verify.
func TestBakeUnbakeVerify(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t, dir)
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	images := map[string][]byte{
		"badge.png": pngBuf.Bytes(),
		"badge.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/></svg>`),
	}
	for name, b := range images {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, proofName := range []string{"eddsa-rdfc-2022", "vc-jwt"} {
		credFile := filepath.Join(dir, proofName+".json")
		if _, err := run(t, "issue", "--key", key, "--issuer-name", "Example", "--email", "a@example.org",
			"--achievement-id", "course-v1:X+Y+Z", "--kind", "course_certificate", "--achievement-name", "Python fundamentals",
			"--proof", proofName, "--out", credFile); err != nil {
			t.Fatal(err)
		}
		issued, _ := os.ReadFile(credFile)
		for name := range images {
			baked := filepath.Join(dir, proofName+"-baked-"+name)
			out, err := run(t, "bake", "--image", filepath.Join(dir, name), "--credential", credFile, "--out", baked)
			if err != nil || !strings.Contains(out, "baked ") {
				t.Fatalf("bake %s %s: %v\n%s", proofName, name, err, out)
			}
			out, err = run(t, "unbake", baked)
			if err != nil {
				t.Fatalf("unbake %s %s: %v", proofName, name, err)
			}
			want := strings.TrimSpace(string(issued))
			if proofName == "vc-jwt" {
				want = strings.Trim(want, `"`)
			}
			if strings.TrimSpace(out) != want {
				t.Errorf("unbake %s %s printed %q, want %q", proofName, name, out, want)
			}
			out, err = run(t, "unbake", "--verify", baked)
			if err != nil || !strings.Contains(out, ": VALID") {
				t.Errorf("unbake --verify %s %s: %v\n%s", proofName, name, err, out)
			}
			// --json --verify prints verify's JSON verdict.
			out, err = run(t, "--json", "unbake", "--verify", "--out", filepath.Join(dir, "out.json"), baked)
			if err != nil || !strings.Contains(out, `"verdict": "valid"`) {
				t.Errorf("--json unbake --verify %s %s: %v\n%s", proofName, name, err, out)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "out.json")); strings.TrimSpace(string(got)) != want {
				t.Errorf("--out holds %q", got)
			}
		}
	}
}

// A tampered baked credential is not valid (exit status 2); an image
// without a credential, or a broken one, is an error (exit status 1).
func TestUnbakeRefusals(t *testing.T) {
	dir := t.TempDir()
	cred := didKeyCredential(t)
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 8, 8)))
	plain := filepath.Join(dir, "plain.png")
	os.WriteFile(plain, pngBuf.Bytes(), 0o644)
	if _, err := run(t, "unbake", plain); err == nil || errors.Is(err, exitCode(2)) || !errors.Is(err, bake.ErrNotBaked) {
		t.Errorf("unbake of an unbaked image: %v", err)
	}
	tampered := bytes.Replace(cred, []byte("Python fundamentals"), []byte("Python fundamentalz"), 1)
	b, err := bake.BakePNG(t.Context(), pngBuf.Bytes(), tampered)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "tampered.png")
	os.WriteFile(bad, b, 0o644)
	if out, err := run(t, "unbake", "--verify", bad); !errors.Is(err, exitCode(2)) || !strings.Contains(out, "INVALID") {
		t.Errorf("unbake --verify of a tampered credential: %v\n%s", err, out)
	}
	b[20] ^= 1 // the IHDR data: its CRC no longer matches
	os.WriteFile(bad, b, 0o644)
	if _, err := run(t, "unbake", bad); err == nil || !strings.Contains(err.Error(), "bad CRC") {
		t.Errorf("unbake of a corrupted PNG: %v", err)
	}
	credFile := filepath.Join(dir, "cred.json")
	os.WriteFile(credFile, cred, 0o644)
	if _, err := run(t, "bake", "--image", bad, "--credential", credFile, "--out", filepath.Join(dir, "x.png")); err == nil || !strings.Contains(err.Error(), "bad CRC") {
		t.Errorf("bake into a corrupted PNG: %v", err)
	}
	if _, err := run(t, "bake", "--image", plain); err == nil || !strings.Contains(err.Error(), "--credential") {
		t.Errorf("bake without --credential: %v", err)
	}
}
