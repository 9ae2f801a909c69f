package storeurl

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, spec := range []string{"mem:", "sqlite:" + filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db"), "file://" + filepath.Join(dir, "c.db")} {
		st, err := Open(ctx, spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if _, err := st.Outbox().Stats(ctx); err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		st.Close()
	}
	for spec, want := range map[string]string{
		"postgres://x":       "unknown store",
		"sqlite:":            "needs a file path",
		"mysql:u:secret@tcp": "",
	} {
		_, err := Open(ctx, spec)
		if err == nil {
			t.Fatalf("%s: opened", spec)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("%s: error shows the password: %v", spec, err)
		}
		if want != "" && !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v, want %q", spec, err, want)
		}
	}
}
