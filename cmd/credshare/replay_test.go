package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/credshare/credshare/store/sqlitestore"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

const py101 = "course-v1:OpenedX+Py101+2026"

func learnerData(id int64) eventbus.UserData {
	u := eventbus.UserData{ID: id, IsActive: true}
	u.PII.Username, u.PII.Email, u.PII.Name = "ada", "ada@example.org", "Ada Lovelace"
	return u
}

// replayEvents returns: Py101 passed (→ the "Python Pioneer" badge of
// internal/integration/pipeline/testdata/rules.json), a certificate created, then revoked.
func replayEvents(t0 time.Time) []eventbus.Event {
	course := eventbus.CourseData{CourseKey: py101, DisplayName: "Python Basics"}
	pass := eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: true, Course: course, User: learnerData(7)})
	cert := eventbus.CertificateData{User: learnerData(7), Course: course, Mode: "verified", Grade: "0.9", CurrentStatus: "downloadable"}
	created := eventbus.CertificateEvent(eventbus.TypeCertificateCreated, cert)
	cert.CurrentStatus = "revoked"
	revoked := eventbus.CertificateEvent(eventbus.TypeCertificateRevoked, cert)
	evs := []eventbus.Event{pass, created, revoked}
	for i := range evs {
		evs[i].Time = t0.Add(time.Duration(i) * time.Minute)
		evs[i].Source = "openedx/lms/web"
	}
	return evs
}

// runIn is run with stdin.
func runIn(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func loadTestRules(t *testing.T, db string) {
	t.Helper()
	rules, _ := filepath.Abs("../../internal/integration/pipeline/testdata/rules.json")
	if _, err := run(t, "--db", db, "templates", "load", rules); err != nil {
		t.Fatalf("templates load: %v", err)
	}
}

func TestReplayFile(t *testing.T) {
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "c.db")
	db := "sqlite:" + dbFile
	loadTestRules(t, db)
	evs := replayEvents(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var lines []string
	for _, e := range evs {
		b, _ := json.Marshal(e)
		lines = append(lines, string(b))
	}
	first := lines[0]
	lines = append(lines, first, "", "this is not json", `{"type": "org.openedx.learning.certificate.created.v1", "data": {}}`,
		`{"id": "no-learner", "type": "org.openedx.learning.certificate.created.v1", "data": {"certificate": {"course": {"course_key": "x"}}}}`)
	f := filepath.Join(dir, "events.jsonl")
	os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644)

	out, err := run(t, "--db", db, "--json", "replay", f)
	if !errors.Is(err, exitCode(2)) {
		t.Fatalf("replay with invalid lines: %v, want exit 2\n%s", err, out)
	}
	var rep replayReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Read != 7 || rep.Applied != 3 || rep.Duplicates != 1 || rep.Invalid != 3 || rep.Failed != 0 ||
		rep.Granted != 2 || rep.Revoked != 1 || rep.ByKind["badge granted"] != 1 || rep.ByKind["course_certificate revoked"] != 1 {
		t.Fatalf("report: %+v", rep)
	}
	if len(rep.Problems) != 3 || rep.Problems[0].Line != 6 || rep.Problems[1].Line != 7 || !strings.Contains(rep.Problems[1].Reason, "id") ||
		rep.Problems[2].Line != 8 || rep.Problems[2].ID != "no-learner" {
		t.Fatalf("problems: %+v", rep.Problems)
	}

	// The store holds what the pipeline did.
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, dbFile)
	if err != nil {
		t.Fatal(err)
	}
	aw, err := st.Awards().Get(ctx, 7, credential.CourseCertificate(py101))
	st.Close()
	if err != nil || aw.Status != credential.StatusRevoked {
		t.Fatalf("certificate award: %+v %v", aw, err)
	}

	// Replaying the valid events again changes nothing: all duplicates.
	good := filepath.Join(dir, "good.jsonl")
	os.WriteFile(good, []byte(strings.Join(lines[:3], "\n")), 0o644)
	out, err = run(t, "--db", db, "replay", good)
	if err != nil || !strings.Contains(out, "duplicates:     3") || !strings.Contains(out, "awards granted: 0") {
		t.Fatalf("second replay: %v\n%s", err, out)
	}
	// Another consumer group applies them again (idempotent awards).
	out, err = run(t, "--db", db, "--json", "replay", "--group", "backfill", "--to", "2026-03-02T09:00:30Z", good)
	rep = replayReport{}
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Applied != 1 || rep.OutOfRange != 2 || rep.Group != "backfill" {
		t.Fatalf("replay --group --to: %v\n%s", err, out)
	}

	// stdin, in another group.
	out, err = runIn(t, strings.Join(lines[:3], "\n"), "--db", db, "--json", "replay", "--group", "stdin", "-")
	rep = replayReport{}
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Applied != 3 || rep.Read != 3 {
		t.Fatalf("replay -: %v\n%s", err, out)
	}
	// A checkpoint makes a second run skip the lines already done.
	cp := filepath.Join(dir, "cp")
	if _, err := run(t, "--db", db, "replay", "--group", "cp", "--checkpoint", cp, good); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "--db", db, "--json", "replay", "--group", "cp", "--checkpoint", cp, good)
	rep = replayReport{}
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Read != 0 {
		t.Fatalf("replay with a checkpoint: %v\n%s", err, out)
	}

	if _, err := run(t, "--db", db, "replay"); err == nil || errors.Is(err, exitCode(2)) {
		t.Fatalf("no source: %v", err)
	}
	if _, err := run(t, "--db", db, "replay", "--providers", "nope", good); err == nil {
		t.Fatal("unknown provider accepted")
	}
}

func TestReplayKafka(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(2))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	reg := srfake.New()
	defer reg.Close()
	srcl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	client := kafkabus.ClientConfig{Brokers: cluster.ListenAddrs(), TopicPrefix: "dev"}
	pub, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{Client: client, Registry: kafkabus.RegistryConfig{Client: srcl}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now().UTC()
	evs := replayEvents(now.Add(-30 * time.Minute))
	// One more event stamped after --to.
	late := replayEvents(now.Add(time.Hour))[1]
	for _, e := range append(evs[1:], late) {
		if err := pub.Publish(ctx, eventbus.TopicCertificateLifecycle, e); err != nil {
			t.Fatal(err)
		}
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "c.db")
	out, err := run(t, "--db", db, "--json", "replay", "--kafka", strings.Join(cluster.ListenAddrs(), ","), "--topic-prefix", "dev",
		"--registry", reg.URL(), "--topic", eventbus.TopicCertificateLifecycle,
		"--from", now.Add(-time.Hour).Format(time.RFC3339), "--to", now.Add(time.Minute).Format(time.RFC3339), "--idle", "2s")
	var rep replayReport
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("kafka replay: %v\n%s", err, out)
	}
	if rep.Read != 3 || rep.Applied != 2 || rep.OutOfRange != 1 || rep.Granted != 1 || rep.Revoked != 1 || rep.Invalid != 0 {
		t.Fatalf("kafka report: %+v", rep)
	}
	if _, err := run(t, "--db", db, "replay", "--kafka", "127.0.0.1:1", "--topic", "x"); err == nil || !strings.Contains(err.Error(), "--from") {
		t.Fatalf("kafka replay without --from: %v", err)
	}
}
