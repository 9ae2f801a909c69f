package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"
)

// encodings returns the forms a secret could take on its way into a log:
// as is, URL-escaped, and base64 (standard and URL alphabets, with and
// without padding) of the secret alone and as HTTP Basic credentials
// with an empty user or password.
func encodings(secret string) []string {
	out := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), hex.EncodeToString([]byte(secret))}
	for _, s := range []string{secret, secret + ":", ":" + secret} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			out = append(out, enc.EncodeToString([]byte(s)))
		}
	}
	return out
}

// checkNoSecrets fails for every secret found in text in any of its
// encodings, quoting the line it is on.
func checkNoSecrets(t *testing.T, what, text string, secrets map[string]string) {
	t.Helper()
	for name, secret := range secrets {
		for _, enc := range encodings(secret) {
			if i := strings.Index(text, enc); i >= 0 {
				start := strings.LastIndexByte(text[:i], '\n') + 1
				end := strings.IndexByte(text[i:], '\n')
				if end < 0 {
					end = len(text) - i
				}
				t.Errorf("%s holds %s (as %q) in:\n%s", what, name, enc, text[start:i+end])
			}
		}
	}
}

// TestSecretsNeverInLogsOfAFullRun runs the whole -fake flow at debug
// level — events through Kafka, badges issued on the Credly fake with the
// organisation's token, a Credly webhook carrying its shared secret, the
// endpoints probed — and searches everything it wrote for the token and
// the webhook secret in every encoding they travel in.
func TestSecretsNeverInLogsOfAFullRun(t *testing.T) {
	var out, log syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sum, err := runFake(ctx, fakeOptions{Out: &out, Log: &log, LogLevel: "debug", Timeout: 60 * time.Second})
	if err != nil {
		t.Fatalf("runFake: %v\n%s", err, log.String())
	}
	if !sum.CredlyAccepted || len(sum.Badges) != 3 {
		t.Fatalf("the flow did not run through (webhook %v, badges %v): nothing was proved", sum.CredlyAccepted, sum.Badges)
	}
	if n := strings.Count(log.String(), `"level":"DEBUG"`); n < 10 {
		t.Fatalf("only %d debug lines were logged: nothing was proved\n%s", n, log.String())
	}
	secrets := map[string]string{"the Credly token": fakeOrgToken, "the webhook secret": fakeWebhookSecret}
	checkNoSecrets(t, "the log", log.String(), secrets)
	checkNoSecrets(t, "the summary", out.String(), secrets)
	t.Logf("%d log lines searched", strings.Count(log.String(), "\n"))
}

// TestSecretsNeverInConfigOrStartupErrors plants a distinct value in every
// setting marked Secret, then validates and prints the configuration
// (-check-config) and starts the program against addresses that refuse
// (the database, the Redis server), so that the connection errors are
// logged: no planted value may appear, on either bus.
func TestSecretsNeverInConfigOrStartupErrors(t *testing.T) {
	const org = "5f2b8a4e-1c3d-4e6f-8a9b-0c1d2e3f4a5b"
	planted := map[string]string{
		"CREDSHARE_STORE_DSN":                  "credshare:Planted-db-Pw-7Qx@tcp(127.0.0.1:1)/credshare",
		"CREDSHARE_CREDLY_ORGANIZATIONS":       org + "=Planted-credly-Tok-3Fz",
		"CREDSHARE_CREDLY_WEBHOOK_SECRET":      "Planted-webhook-Sec-9Lm",
		"CREDSHARE_ACCREDIBLE_API_KEYS":        "main=Planted-accredible-Key-2Vb",
		"CREDSHARE_SCHEMA_REGISTRY_API_KEY":    "Planted-sr-User-5Hd",
		"CREDSHARE_SCHEMA_REGISTRY_API_SECRET": "Planted-sr-Pw-8Kt",
		"CREDSHARE_KAFKA_API_KEY":              "Planted-kafka-User-1Rw",
		"CREDSHARE_KAFKA_API_SECRET":           "Planted-kafka-Pw-6Nc",
		"CREDSHARE_REDIS_CONNECTION_URL":       "redis://default:Planted-redis-Pw-4Js@127.0.0.1:1/0",
	}
	// Every Secret setting is planted, so a new one cannot be forgotten.
	for _, s := range settings {
		if _, ok := planted[s.Env]; s.Secret && !ok {
			t.Errorf("setting %s is secret but the test plants no value for it", s.Env)
		}
	}
	secrets := map[string]string{
		"the database password": "Planted-db-Pw-7Qx", "the Credly token": "Planted-credly-Tok-3Fz",
		"the webhook secret": "Planted-webhook-Sec-9Lm", "the Accredible key": "Planted-accredible-Key-2Vb",
		"the registry user": "Planted-sr-User-5Hd", "the registry password": "Planted-sr-Pw-8Kt",
		"the Kafka user": "Planted-kafka-User-1Rw", "the Kafka password": "Planted-kafka-Pw-6Nc",
		"the Redis password": "Planted-redis-Pw-4Js",
	}
	for _, bus := range []string{"kafka", "redis"} {
		t.Run(bus, func(t *testing.T) {
			env := map[string]string{"CREDSHARE_STORE_DRIVER": "mysql", "CREDSHARE_LOG_LEVEL": "debug", "CREDSHARE_HTTP_ADDR": "127.0.0.1:0"}
			for k, v := range planted {
				env[k] = v
			}
			if bus == "kafka" {
				delete(env, "CREDSHARE_REDIS_CONNECTION_URL")
				env["CREDSHARE_KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:1"
				env["CREDSHARE_SCHEMA_REGISTRY_URL"] = "http://127.0.0.1:1"
			} else {
				for _, k := range []string{"CREDSHARE_KAFKA_API_KEY", "CREDSHARE_KAFKA_API_SECRET", "CREDSHARE_SCHEMA_REGISTRY_API_KEY", "CREDSHARE_SCHEMA_REGISTRY_API_SECRET"} {
					delete(env, k)
				}
			}
			var stdout, stderr syncBuffer
			if code := realMain(context.Background(), []string{"-check-config"}, &stdout, &stderr, envMap(env)); code != 0 {
				t.Fatalf("-check-config exited %d:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), `"[set]"`) {
				t.Fatalf("-check-config printed no configuration: nothing was proved\n%s", stderr.String())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code := realMain(ctx, nil, &stdout, &stderr, envMap(env))
			if code == 0 {
				t.Errorf("the program started against refusing addresses")
			}
			if !strings.Contains(stderr.String(), `"level":"ERROR"`) {
				t.Fatalf("no error was logged: nothing was proved\n%s", stderr.String())
			}
			checkNoSecrets(t, "the log", stderr.String(), secrets)
			checkNoSecrets(t, "stdout", stdout.String(), secrets)
		})
	}
}
