package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

// TestHelpHidesDBPassword: -help prints each flag's default, and the -db
// default comes from CREDSHARE_DB, which may hold a password.
func TestHelpHidesDBPassword(t *testing.T) {
	for _, pw := range []string{"s3cret", "p@ss:word", "a/b?c#d@e:f"} {
		t.Setenv("CREDSHARE_DB", "mysql:issuer:"+pw+"@tcp(127.0.0.1:1)/credshare")
		var stderr bytes.Buffer
		if _, err := parse([]string{"-help"}, &stderr); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("parse(-help) = %v, want flag.ErrHelp", err)
		}
		help := stderr.String()
		if !strings.Contains(help, "-db") || !strings.Contains(help, "issuer@tcp(127.0.0.1:1)") {
			t.Fatalf("help does not show the redacted -db default:\n%s", help)
		}
		if strings.Contains(help, pw) {
			t.Errorf("help leaks password %q:\n%s", pw, help)
		}
	}
}
