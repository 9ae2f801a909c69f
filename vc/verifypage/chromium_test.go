//go:build linux

package verifypage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/vc/verifypage"
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

// dumpDOM loads url in headless chromium and returns the DOM after load
// and the browser's log (console messages, Content-Security-Policy
// violations included).
// The browser runs in its own process group, with a deadline, offline
// (every host but 127.0.0.1 resolves to nothing) and with a throwaway
// profile; the group is killed by its leader's PID at the end.
func dumpDOM(t *testing.T, bin, url string) (dom, log string) {
	t.Helper()
	// Chromium in a container without /run/dbus or cpufreq now and then
	// dies of a signal while starting; that is the browser's crash, not
	// the page's, so it is given two more tries. Any other failure fails.
	for try := 1; ; try++ {
		dom, log, err := runChromium(bin, url, t.TempDir())
		var exit *exec.ExitError
		if err != nil && errors.As(err, &exit) && exit.ProcessState != nil && !exit.Exited() && try < 3 {
			t.Logf("chromium crashed (%v) loading %s; trying again", err, url)
			continue
		}
		if err != nil {
			t.Fatalf("chromium --dump-dom %s: %v\n%s", url, err, log)
		}
		return dom, log
	}
}

func runChromium(bin, url, profile string) (dom, log string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
		"--user-data-dir="+profile, "--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-dev-shm-usage", "--disable-sync", "--enable-logging=stderr", "--v=0",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	pid := cmd.Process.Pid
	err = cmd.Wait()
	// Whatever it left behind (zygote, renderer, crash handler) goes too,
	// by the group's PID.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	if ctx.Err() != nil {
		err = fmt.Errorf("no answer within the deadline: %w", ctx.Err())
	}
	return stdout.String(), stderr.String(), err
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

	// The pages render with their nonced style sheet: the browser reports
	// no Content-Security-Policy violation.
	const violation = "Content Security Policy"
	dom, log := dumpDOM(t, bin, f.srv.URL+"/credentials/"+valid.String())
	mustContain(t, dom, `data-state="valid"`, `<h1 id="verdict">Valid</h1>`, "Python Pioneer", "Ada Lovelace", "urn:uuid:"+valid.String())
	mustNotContain(t, dom, "Revoked")
	mustNotContain(t, log, violation)

	dom, log = dumpDOM(t, bin, f.srv.URL+"/credentials/"+revoked.String())
	mustContain(t, dom, `data-state="revoked"`, `<h1 id="verdict">Revoked</h1>`, "Status purpose: revocation", "Rust Ranger")
	mustNotContain(t, log, violation)

	// The markup in the name stays text: no script element, and the title
	// the script would have set is the page's own.
	dom, _ = dumpDOM(t, bin, f.srv.URL+"/credentials/"+hostile.String())
	mustContain(t, dom, "&lt;script&gt;document.title=\"pwned\"&lt;/script&gt;Hostile", "<title>Valid: &lt;script&gt;")
	mustNotContain(t, dom, "<script", "<title>pwned</title>")

	// Control: a template whose style element lacks the nonce is blocked
	// by the browser, which says so — the policy is enforced, and the
	// check above would see a violation.
	tpl := template.Must(template.New("bad").Parse(`<!doctype html><title>x</title><style>p{color:red}</style><p>{{.Result.Label}}</p>`))
	bad, err := verifypage.New(verifypage.Config{Store: f.st, Verifier: f.ver, BaseURL: f.srv.URL + "/bad", Template: tpl, Logger: slogTo(f.logs)})
	if err != nil {
		t.Fatal(err)
	}
	f.mux.Handle("/bad/", http.StripPrefix("/bad", bad))
	_, log = dumpDOM(t, bin, f.srv.URL+"/bad/"+valid.String())
	mustContain(t, log, violation)

	// And the browser was served what the unit tests check.
	resp, _ := f.get(t, http.MethodGet, "/credentials/"+valid.String(), "text/html")
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("CSP = %q", resp.Header.Get("Content-Security-Policy"))
	}
}
