package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVerifyQuickstartOutput runs the quickstart (go run ./examples/quickstart)
// and checks that credshare verify accepts every credential it wrote (valid,
// or revoked for the two revoked awards, read from the status list files it
// wrote) and rejects a tampered copy.
func TestVerifyQuickstartOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the quickstart")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the quickstart")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "quickstart")
	build := exec.CommandContext(ctx, goBin, "build", "-o", bin, "../../examples/quickstart")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the quickstart: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "out")
	qs := exec.CommandContext(ctx, bin, "-out", out, "-data", t.TempDir())
	if b, err := qs.CombinedOutput(); err != nil {
		t.Fatalf("quickstart: %v\n%s", err, b)
	}
	creds, _ := filepath.Glob(filepath.Join(out, "credentials", "*.json"))
	lists, _ := filepath.Glob(filepath.Join(out, "status-lists", "*.json"))
	if len(creds) == 0 || len(lists) == 0 {
		t.Fatalf("quickstart wrote %d credentials and %d lists", len(creds), len(lists))
	}
	var listArgs []string
	for _, l := range lists {
		listArgs = append(listArgs, "--status-list-file", l)
		if o, err := run(t, "status", l); err != nil || !strings.Contains(o, "proof:        verified") {
			t.Errorf("status %s: %v\n%s", l, err, o)
		}
	}
	valid, revoked := 0, 0
	var aValid string
	for _, c := range creds {
		o, err := run(t, append(append([]string{"verify"}, listArgs...), c)...)
		switch {
		case err == nil && strings.Contains(o, ": VALID"):
			valid++
			aValid = c
		case errors.Is(err, exitCode(2)) && strings.Contains(o, ": REVOKED"):
			revoked++
		default:
			t.Errorf("verify %s: %v\n%s", c, err, o)
		}
	}
	if valid == 0 || revoked == 0 {
		t.Fatalf("%d valid and %d revoked credentials; want both kinds", valid, revoked)
	}
	b, _ := os.ReadFile(aValid)
	bad := filepath.Join(dir, "tampered.json")
	tamperedDoc := strings.Replace(string(b), `"name": "`, `"name": "Dr. `, 1)
	if tamperedDoc == string(b) {
		t.Fatal("nothing to tamper with")
	}
	os.WriteFile(bad, []byte(tamperedDoc), 0o644)
	o, err := run(t, append(append([]string{"verify"}, listArgs...), bad)...)
	if !errors.Is(err, exitCode(2)) || !strings.Contains(o, "INVALID") || !strings.Contains(o, "[proof]") {
		t.Fatalf("tampered quickstart credential: %v\n%s", err, o)
	}
}
