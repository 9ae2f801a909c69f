package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickstart runs the quickstart as the README's main command does and
// checks its summary and its output files.
func TestQuickstart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"-out", out, "-data", t.TempDir()}, &stdout, &stderr); err != nil {
		t.Fatalf("quickstart failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	s := stdout.String()
	for _, want := range []string{
		"Events: 17 delivered, 16 applied, 1 duplicates ignored, 0 dead-lettered",
		"Published back to the bus: 7 ", "Awarded (9):", "Revoked (2):",
		"Alan Turing        Python Pioneer                   badge  (penalty fail-python)",
		"Credentials issued and verified (11):",
		"revocation list", "dccrequest://request?issuer=did%3Akey%3A",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	// Nine credentials are valid, the two of the revoked awards are revoked —
	// as the verifier saw them through the served status list.
	if n := strings.Count(s, "\n  valid "); n != 9 {
		t.Errorf("%d valid credentials, want 9:\n%s", n, s)
	}
	if n := strings.Count(s, "\n  revoked "); n != 2 {
		t.Errorf("%d revoked credentials, want 2:\n%s", n, s)
	}
	files, _ := filepath.Glob(filepath.Join(out, "credentials", "*.json"))
	if len(files) != 11 {
		t.Fatalf("%d credential files, want 11", len(files))
	}
	b, err := os.ReadFile(filepath.Join(out, "credentials", "ada-lovelace--data-scientist-in-training.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cred map[string]any
	if err := json.Unmarshal(b, &cred); err != nil {
		t.Fatal(err)
	}
	if types, _ := cred["type"].([]any); len(types) != 2 || types[1] != "OpenBadgeCredential" {
		t.Errorf("type = %v", cred["type"])
	}
	if _, ok := cred["proof"]; !ok {
		t.Error("credential has no proof")
	}
	if _, ok := cred["credentialStatus"]; !ok {
		t.Error("credential has no credentialStatus")
	}
	lists, _ := filepath.Glob(filepath.Join(out, "status-lists", "*.json"))
	if len(lists) != 2 { // one revocation list, as Bitstring and as StatusList2021
		t.Errorf("status list files: %v", lists)
	}
	if _, err := os.Stat(filepath.Join(out, "issuer-did.json")); err != nil {
		t.Error(err)
	}
	pngs, _ := filepath.Glob(filepath.Join(out, "wallet", "*.png"))
	if len(pngs) != 9 {
		t.Errorf("%d wallet QR codes, want 9", len(pngs))
	}
}

func TestQuickstartRejectsBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-nope"}, &stdout, &stderr); err == nil {
		t.Fatal("unknown flag accepted")
	}
	if err := run(context.Background(), []string{"-rules", "/does/not/exist.yaml", "-out", t.TempDir()}, &stdout, &stderr); err == nil {
		t.Fatal("missing rules file accepted")
	}
}
