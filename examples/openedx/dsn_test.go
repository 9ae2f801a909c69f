package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// dbPasswords hold each character that confuses hand-written DSN
// redaction (@ : / ? #), alone and combined, between letters no output
// contains by chance.
var dbPasswords = []string{
	"Kx9qZt", "Kx9@Qm4", "Kx9:Qm4", "Kx9/Qm4", "Kx9?Qm4", "Kx9#Qm4",
	"Kx9@@Qm4::Vz7", "Kx9@Qm4:Vz7/Wj2?Rt5#Hb8", "@Kx9Qm4@", ":Kx9Qm4:", "/Kx9Qm4/", "?Kx9Qm4?", "#Kx9Qm4#",
	"Kx9:Qm4@Vz7", "Kx9/Qm4@Vz7", "Kx9?Qm4@Vz7#Wj2", "@:/?#Kx9@:/?#Qm4@:/?#",
}

// leak returns a substring of secret of at least 4 bytes found in out.
func leak(out, secret string) (string, bool) {
	for n := len(secret); n >= 4; n-- {
		for i := 0; i+n <= len(secret); i++ {
			if s := secret[i : i+n]; strings.Contains(out, s) {
				return s, true
			}
		}
	}
	return "", false
}

// TestStoreDSNPasswordNeverShown starts the program with a MySQL DSN in
// each form (one the driver parses, pointing at a port that refuses, and
// two it cannot parse) and each password: neither stdout, stderr nor the
// default logger shows 4 bytes of the password.
func TestStoreDSNPasswordNeverShown(t *testing.T) {
	forms := []string{
		"credshare:%s@tcp(127.0.0.1:1)/credshare?parseTime=true",
		"credshare:%s@tcp(127.0.0.1:1)",              // no database: unparsable
		"mysql://credshare:%s@127.0.0.1:1/credshare", // a URL, not a driver DSN
	}
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)
	for _, pw := range dbPasswords {
		for _, form := range forms {
			dsn := strings.ReplaceAll(form, "%s", pw)
			env := envMap(map[string]string{
				"EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS":   "127.0.0.1:1",
				"EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL": "http://127.0.0.1:1",
				"CREDSHARE_STORE_DRIVER":              "mysql",
				"CREDSHARE_STORE_DSN":                 dsn,
				"CREDSHARE_HTTP_ADDR":                 "127.0.0.1:0",
			})
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			start := time.Now()
			code := realMain(ctx, nil, &stdout, &stderr, env)
			cancel()
			t.Logf("exit %d after %s", code, time.Since(start))
			all := stdout.String() + "\n" + stderr.String() + "\n" + logs.String()
			if code == 0 || !strings.Contains(all, "store.dsn") && !strings.Contains(all, "mysqlstore") {
				t.Fatalf("DSN %q: exit %d without a store error:\n%s", dsn, code, all)
			}
			if s, ok := leak(all, pw); ok {
				t.Errorf("DSN %q: output shows %q of the password:\n%s", dsn, s, all)
			}
		}
	}
}
