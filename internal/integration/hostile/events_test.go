package hostile_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/filebus"
)

// certLine is a certificate.created event line as filebus writes it, with
// the certificate's JSON given.
func certLine(id, cert string) string {
	return `{"id":"` + id + `","type":"` + eventbus.TypeCertificateCreated + `","specversion":"1.0","time":"2026-12-07T15:20:03.175279+00:00",` +
		`"key":"course-v1:a+b+c","data":{"certificate":` + cert + `}}`
}

const (
	goodUser   = `{"id":7,"is_active":true,"pii":{"email":"ada@example.org","name":"Ada","username":"ada"}}`
	goodCourse = `{"course_key":"course-v1:edX+DemoX+Demo","display_name":"Demo"}`
)

func cert(user, course string) string {
	return `{"course":` + course + `,"current_status":"downloadable","grade":"0.91","mode":"verified","user":` + user + `}`
}

// hostileLine is one line of the replayed file and the reason its dead
// letter must give.
type hostileLine struct {
	name, line, reason string
}

func hostileLines() []hostileLine {
	big := strings.Repeat("A", 10<<20)
	return []hostileLine{
		{"not JSON", `{"id":"h-1","type":`, "json"},
		{"no id", `{"type":"` + eventbus.TypeCertificateCreated + `","data":{}}`, "missing id"},
		{"user id a string", certLine("h-2", cert(`{"id":"7 OR 1=1","pii":{"email":"a@example.org"}}`, goodCourse)), "want long, got string"},
		{"user id a float", certLine("h-3", cert(`{"id":7.5,"pii":{"email":"a@example.org"}}`, goodCourse)), "want long, got float64"},
		{"course an array", certLine("h-4", cert(goodUser, `["course-v1:edX+DemoX+Demo"]`)), "certificate.course: want record"},
		{"certificate a string", certLine("h-5", `"<script>alert(1)</script>"`), `no "certificate" record`},
		{"no learner", certLine("h-6", `{"course":`+goodCourse+`,"current_status":"downloadable"}`), "certificate.user: want record"},
		// The learner is valid and is written first in the transaction;
		// the course key is refused after it: the whole transaction goes.
		{"empty course key", certLine("h-7", cert(goodUser, `{"course_key":"","display_name":"Demo"}`)), "achievement"},
		// Evidence over the store's limit: refused by the store, after the
		// learner was written, and permanent (it once was retried forever).
		{"10 MB course name", certLine("h-8", cert(goodUser, `{"course_key":"course-v1:edX+DemoX+Demo","display_name":"`+big+`"}`)), "award.evidence"},
		{"10 MB line", `{"id":"h-9","type":"` + eventbus.TypeCertificateCreated + `","pad":"` + big + big + `"}`, "more than"},
	}
}

// TestHostileEventsDeadLetteredStoreUnchanged replays a JSON-lines file of
// malformed and wrong-typed events (filebus, the real source) into the
// pipeline on SQLite and on MariaDB: each is dead-lettered with its reason,
// the replay carries on, and every table of the database is as it was
// before — the learner written before a refusal in the same transaction
// included. A good event afterwards is applied.
func TestHostileEventsDeadLetteredStoreUnchanged(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			p, err := pipeline.New(pipeline.Config{Store: b.st, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			// Something in the store already, so that "unchanged" is not "empty".
			seed := certLine("seed", cert(`{"id":3,"is_active":true,"pii":{"email":"seed@example.org","name":"Seed","username":"seed"}}`, goodCourse))
			lines := hostileLines()
			dir := t.TempDir()
			var all []string
			for _, l := range lines {
				all = append(all, l.line)
			}
			replay := func(path string, content []string) {
				t.Helper()
				if err := os.WriteFile(path, []byte(strings.Join(content, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				src, err := filebus.NewSource(filebus.SourceConfig{Path: path, RetryBackoff: time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				defer cancel()
				if err := src.Receive(rctx, p.Handler()); err != nil {
					t.Fatal(err)
				}
			}
			replay(filepath.Join(dir, "seed.jsonl"), []string{seed})
			before := b.dump(t)
			hostile := filepath.Join(dir, "hostile.jsonl")
			replay(hostile, all)
			sameDump(t, before, b.dump(t))

			f, err := os.Open(hostile + ".dlq")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 64<<20)
			var got []string
			for sc.Scan() {
				var r filebus.DeadLetterRecord
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatal(err)
				}
				got = append(got, r.Reason)
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(lines) {
				t.Fatalf("%d dead letters, want %d: %.300q", len(got), len(lines), got)
			}
			for i, l := range lines {
				if !strings.Contains(got[i], l.reason) {
					t.Errorf("%s: reason %.300q, want %q", l.name, got[i], l.reason)
				}
			}
			// The pipeline is not wedged: a good event is applied.
			replay(filepath.Join(dir, "good.jsonl"), []string{certLine("good", cert(goodUser, goodCourse))})
			if _, err := b.st.Awards().Get(ctx, 7, credential.CourseCertificate("course-v1:edX+DemoX+Demo")); err != nil {
				t.Fatalf("good event after the hostile ones: %v", err)
			}
		})
	}
}
