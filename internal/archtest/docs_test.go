package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHostileInputTableNamesExistingTests reads the table of
// docs/security.md "Hostile input (issue 12)" and checks that every test
// or fuzz target each row names exists in the package the row names before
// it (`pkg` Name, Name; `pkg2` Name): a renamed or deleted test makes the
// table claim what nothing proves.
func TestHostileInputTableNamesExistingTests(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "## Hostile input (issue 12)")
	if start < 0 {
		t.Fatal(`docs/security.md has no "## Hostile input (issue 12)" section`)
	}
	sec := doc[start+3:]
	if end := strings.Index(sec, "\n## "); end >= 0 {
		sec = sec[:end]
	}
	token := regexp.MustCompile("`([a-z][a-z0-9/]*)`|\\b((?:Test|Fuzz)[A-Z][A-Za-z0-9_]*)\\b")
	rows, checked := 0, 0
	for _, line := range strings.Split(sec, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| hostile input") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 {
			t.Errorf("row with %d cells: %s", len(cells), line)
			continue
		}
		rows++
		proving := cells[3]
		pkg := ""
		names := 0
		for _, m := range token.FindAllStringSubmatch(proving, -1) {
			if m[1] != "" {
				pkg = m[1]
				continue
			}
			names++
			if pkg == "" {
				t.Errorf("%s named before any package in: %s", m[2], proving)
				continue
			}
			checked++
			if !testExists(t, filepath.Join(root, filepath.FromSlash(pkg)), m[2]) {
				t.Errorf("docs/security.md names %s in %s, which has no such test", m[2], pkg)
			}
		}
		if names == 0 {
			t.Errorf("row names no test: %s", line)
		}
	}
	if rows < 17 || checked == 0 {
		t.Fatalf("read %d rows and %d test names; the table's shape changed?", rows, checked)
	}
}

// testExists reports whether a _test.go file of dir declares func name.
func testExists(t *testing.T, dir, name string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(name) + `\(`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if decl.Match(b) {
			return true
		}
	}
	return false
}
