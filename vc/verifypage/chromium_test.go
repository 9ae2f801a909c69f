//go:build linux

package verifypage_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
)

// chromium returns the headless browser to run, or skips the test when
// there is none (unless CREDSHARE_REQUIRE_CHROMIUM=1, which scripts/test.sh
// sets after scripts/chromium-up.sh installed it).
func chromium(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("CREDSHARE_CHROMIUM")
	if bin == "" {
		bin, _ = exec.LookPath("chromium")
	}
	if bin != "" {
		if _, err := os.Stat(bin); err == nil {
			return bin
		}
	}
	if os.Getenv("CREDSHARE_REQUIRE_CHROMIUM") == "1" {
		t.Fatalf("CREDSHARE_REQUIRE_CHROMIUM=1 but no chromium (CREDSHARE_CHROMIUM=%q): run scripts/chromium-up.sh", os.Getenv("CREDSHARE_CHROMIUM"))
	}
	t.Skip("chromium is not installed: run scripts/chromium-up.sh (or set CREDSHARE_CHROMIUM) to run the headless browser test")
	return ""
}

// dumpDOM loads url in headless chromium and returns the DOM after load.
// The browser runs in its own process group, with a deadline, offline
// (every host but 127.0.0.1 resolves to nothing) and with a throwaway
// profile; the group is killed by its leader's PID at the end.
func dumpDOM(t *testing.T, bin, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
		"--user-data-dir="+t.TempDir(), "--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-dev-shm-usage", "--disable-sync",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	err := cmd.Wait()
	// Whatever it left behind (zygote, renderer, GPU helper) goes too.
	if kerr := syscall.Kill(-pid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
		t.Logf("killing chromium's process group %d: %v", pid, kerr)
	}
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v\n%s", url, err, stderr.String())
	}
	return stdout.String()
}

// TestChromiumRendersTheVerdict loads the pages of a valid credential, a
// revoked one and one whose name holds markup in real headless Chromium,
// from the handler on 127.0.0.1, and reads the rendered DOM.
func TestChromiumRendersTheVerdict(t *testing.T) {
	bin := chromium(t)
	f := newFixture(t)
	_, valid := f.issue(t, "Python Pioneer", "")
	revokedAward, revoked := f.issue(t, "Rust Ranger", "")
	_, hostile := f.issue(t, `<script>document.title="pwned"</script>Hostile`, "")
	if _, err := f.p.Revoke(context.Background(), badge.RevokeRequest{IdempotencyKey: "revoke", AwardUUID: revokedAward.UUID}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.srv.URL, "http://127.0.0.1:") {
		t.Fatalf("the test server is not on 127.0.0.1: %s", f.srv.URL)
	}

	dom := dumpDOM(t, bin, f.srv.URL+"/credentials/"+valid.String())
	mustContain(t, dom, `data-state="valid"`, `<h1 id="verdict">Valid</h1>`, "Python Pioneer", "Ada Lovelace", "urn:uuid:"+valid.String())
	mustNotContain(t, dom, "Revoked")

	dom = dumpDOM(t, bin, f.srv.URL+"/credentials/"+revoked.String())
	mustContain(t, dom, `data-state="revoked"`, `<h1 id="verdict">Revoked</h1>`, "Status purpose: revocation", "Rust Ranger")

	// The markup in the name stays text: no script element, and the title
	// the script would have set is the page's own.
	dom = dumpDOM(t, bin, f.srv.URL+"/credentials/"+hostile.String())
	mustContain(t, dom, "&lt;script&gt;document.title=\"pwned\"&lt;/script&gt;Hostile", "<title>Valid: &lt;script&gt;")
	mustNotContain(t, dom, "<script", "<title>pwned</title>")

	// And the browser was served what the unit tests check.
	resp, _ := f.get(t, http.MethodGet, "/credentials/"+valid.String(), "text/html")
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("CSP = %q", resp.Header.Get("Content-Security-Policy"))
	}
}
