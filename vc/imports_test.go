package vc_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The core package imports only the standard library, uuid, credential
// and its own internal packages, which import only the standard library
// and one another.
func TestCoreImports(t *testing.T) {
	const internal = "github.com/credshare/credshare/vc/internal/"
	fset := token.NewFileSet()
	checked := map[string]bool{}
	var check func(dir string, core bool)
	check = func(dir string, core bool) {
		if checked[dir] {
			return
		}
		checked[dir] = true
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			name := filepath.Join(dir, e.Name())
			f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range f.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				first, _, _ := strings.Cut(p, "/")
				switch {
				case !strings.Contains(first, "."):
				case strings.HasPrefix(p, internal):
					check(filepath.Join("internal", strings.TrimPrefix(p, internal)), false)
				case core && (p == "github.com/google/uuid" || p == "github.com/credshare/credshare/credential"):
				default:
					t.Errorf("%s imports %s", name, p)
				}
			}
		}
	}
	check(".", true)
}
