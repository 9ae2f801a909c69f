package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc/verifypage"
)

// TestQuickstartServesVerificationPages: with -serve, the summary lists
// each credential's verification page, and the served pages say what the
// verifier said: valid for nine, Revoked for the two revoked awards.
func TestQuickstartServesVerificationPages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-out", t.TempDir(), "-data", t.TempDir(), "-serve", "127.0.0.1:0"}, pw, io.Discard)
		pw.CloseWithError(err)
		done <- err
	}()
	// Read the summary up to "Serving on", collecting the page lines.
	pages := map[string]string{} // URL → verdict
	inPages := false
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Verification pages"):
			inPages = true
		case inPages && strings.HasPrefix(line, "  "):
			f := strings.Fields(line)
			pages[f[1]] = f[0]
		case inPages:
			inPages = false
		}
		if strings.HasPrefix(line, "Serving on ") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if len(pages) != 11 {
		t.Fatalf("%d verification pages listed, want 11: %v (%v)", len(pages), pages, sc.Err())
	}
	states := map[verifypage.State]int{}
	for u, verdict := range pages {
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("page URL %s", u)
		}
		resp, err := http.Get(u + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var v verifypage.View
		err = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s.json: %d %v", u, resp.StatusCode, err)
		}
		if string(v.Result.State) != verdict {
			t.Errorf("%s: page says %s, the summary %s", u, v.Result.State, verdict)
		}
		states[v.Result.State]++
		resp, err = http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := `<h1 id="verdict">` + v.Result.Label + `</h1>`; !strings.Contains(string(b), want) {
			t.Errorf("%s: HTML lacks %s", u, want)
		}
	}
	if states[verifypage.StateValid] != 9 || states[verifypage.StateRevoked] != 2 {
		t.Errorf("states %v, want 9 valid and 2 revoked", states)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
