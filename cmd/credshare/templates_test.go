package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible/accrediblefake"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/sqlitestore"
)

func TestTemplatesSyncCredly(t *testing.T) {
	fake := credlyfake.New(t)
	fake.AddOrg("org-1", "tok-1")
	tpls := fake.AddTemplates("org-1", 3)
	db := "sqlite:" + filepath.Join(t.TempDir(), "c.db")
	t.Setenv("TEST_CREDLY_TOKEN", "tok-1")
	base := []string{"--db", db, "templates", "sync", "--provider", "credly", "--account", "org-1", "--token-env", "TEST_CREDLY_TOKEN", "--base-url", fake.URL()}

	out, err := run(t, append(base, "--dry-run")...)
	if err != nil || !strings.Contains(out, "(dry run): 3 listed, 3 created") || !strings.Contains(out, "would create "+tpls[0].ID) {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if out, _ := run(t, "--db", db, "templates", "list"); !strings.Contains(out, "no templates") {
		t.Fatalf("the dry run wrote:\n%s", out)
	}
	out, err = run(t, append(base, "--save-account")...)
	if err != nil || !strings.Contains(out, "3 listed, 3 created") {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	out, err = run(t, "--db", db, "--json", "templates", "list", "--provider", "credly")
	var ts []rules.Template
	if err != nil || json.Unmarshal([]byte(out), &ts) != nil || len(ts) != 3 || ts[0].AccountID != "org-1" {
		t.Fatalf("list: %v\n%s", err, out)
	}

	// The saved account is used without flags; a removed template is archived.
	fake.UpdateTemplate("org-1", tpls[1].ID, nil, true)
	out, err = run(t, "--db", db, "--json", "templates", "sync", "--base-url", fake.URL(), "--provider", "credly")
	var rep syncOutput
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Reports) != 1 || rep.Reports[0].Count(badge.SyncDeactivate) != 1 {
		t.Fatalf("second sync: %v\n%s", err, out)
	}
	out, _ = run(t, "--db", db, "templates", "list", "--state", store.TemplateArchived)
	if !strings.Contains(out, tpls[1].ID) {
		t.Fatalf("archived template not listed:\n%s", out)
	}

	// A wrong token fails with a readable error that does not carry it.
	t.Setenv("TEST_CREDLY_TOKEN", "wrong-secret-token")
	_, err = run(t, append(base, "--dry-run")...)
	if err == nil || strings.Contains(err.Error(), "wrong-secret-token") {
		t.Fatalf("bad token: %v", err)
	}
	t.Setenv("TEST_CREDLY_TOKEN", "")
	if _, err := run(t, base...); err == nil || !strings.Contains(err.Error(), "TEST_CREDLY_TOKEN") {
		t.Fatalf("empty token env: %v", err)
	}
	if _, err := run(t, "--db", db, "templates", "sync", "--provider", "credly", "--account", "nobody"); err == nil || !strings.Contains(err.Error(), "--token-env") {
		t.Fatalf("unknown account: %v", err)
	}
}

func TestTemplatesSyncAccredible(t *testing.T) {
	fake := accrediblefake.New(t)
	fake.AddAccount("key-1")
	fake.AddGroup("key-1", "Python", "Python course", "")
	fake.AddGroup("key-1", "Data", "Data course", "")
	db := filepath.Join(t.TempDir(), "c.db")
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	st.Config().PutAccount(ctx, store.ProviderAccount{ID: "school", Provider: "accredible", Secret: "key-1", Active: true})
	st.Close()
	out, err := run(t, "--db", "sqlite:"+db, "templates", "sync", "--base-url", fake.URL())
	if err != nil || !strings.Contains(out, "accredible/school: 2 listed, 2 created") {
		t.Fatalf("sync: %v\n%s", err, out)
	}
}

func TestTemplatesLoad(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "c.db")
	rulesPath, _ := filepath.Abs("../../internal/integration/pipeline/testdata/rules.json")
	out, err := run(t, "--db", db, "templates", "load", "--check", rulesPath)
	if err != nil || !strings.Contains(out, "no problems") {
		t.Fatalf("load --check: %v\n%s", err, out)
	}
	if out, _ := run(t, "--db", db, "templates", "list"); !strings.Contains(out, "no templates") {
		t.Fatalf("--check stored templates:\n%s", out)
	}
	out, err = run(t, "--db", db, "templates", "load", rulesPath)
	if err != nil || !strings.Contains(out, "Python Pioneer") || !strings.Contains(out, "v1") {
		t.Fatalf("load: %v\n%s", err, out)
	}

	yml := filepath.Join(dir, "rules.yaml")
	os.WriteFile(yml, []byte(`templates:
  - uuid: 8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f
    name: Python Pioneer
    provider: fake
    requirements:
      - id: pass-py
        event_type: org.openedx.learning.course.passing.status.updated.v1
        rules:
          - {path: course.course_key, operator: eq, value: "course-v1:OpenedX+Py101+2027"}
`), 0o644)
	out, err = run(t, "--db", db, "--json", "templates", "load", yml)
	var stored []rules.Template
	if err != nil || json.Unmarshal([]byte(out), &stored) != nil || len(stored) != 1 || stored[0].RulesVersion != 2 {
		t.Fatalf("load yaml (new rules version): %v\n%s", err, out)
	}

	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"templates": [{"name": "Broken", "provider": "fake",
	  "requirements": [{"id": "r", "event_type": "org.openedx.learning.course.passing.status.updated.v1",
	    "rules": [{"path": "course.course_key", "operator": "resembles", "value": "x"}]}]}]}`), 0o644)
	_, err = run(t, "--db", db, "templates", "load", bad)
	if err == nil || !strings.Contains(err.Error(), "Broken") || !strings.Contains(err.Error(), "operator") || !strings.Contains(err.Error(), "nothing stored") {
		t.Fatalf("bad rules: %v", err)
	}
	out, err = run(t, "--db", db, "--json", "templates", "load", bad)
	var probs struct {
		Valid    bool `json:"valid"`
		Problems []struct{ Template, Field, Problem string }
	}
	if !errors.Is(err, exitCode(1)) || json.Unmarshal([]byte(out), &probs) != nil || probs.Valid || len(probs.Problems) == 0 {
		t.Fatalf("bad rules --json: %v\n%s", err, out)
	}
}
