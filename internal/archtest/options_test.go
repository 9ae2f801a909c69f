package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// optionsViolations reports where the exported API of one file departs
// from the house's one shape for settings:
//
//   - a value with required parts or many settings is built from a struct
//     named Config (or …Config: SourceConfig, WebhookConfig), so every
//     exported type whose name ends in Config is a struct;
//   - a value whose every setting has a default takes functional options,
//     so every exported type whose name ends in Option is a function type
//     and every exported function returning one is named With….
func optionsViolations(fset *token.FileSet, name string, src any) ([]string, error) {
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []string
	optionTypes := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, s := range g.Specs {
			ts := s.(*ast.TypeSpec)
			n := ts.Name.Name
			if !ast.IsExported(n) || ts.Assign.IsValid() {
				continue
			}
			switch {
			case strings.HasSuffix(n, "Option"):
				optionTypes[n] = true
				if _, ok := ts.Type.(*ast.FuncType); !ok {
					out = append(out, fset.Position(ts.Pos()).String()+": "+n+" is not a function type")
				}
			case strings.HasSuffix(n, "Config"):
				if _, ok := ts.Type.(*ast.StructType); !ok {
					out = append(out, fset.Position(ts.Pos()).String()+": "+n+" is not a struct")
				}
			}
		}
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || !fd.Name.IsExported() || fd.Type.Results == nil || len(fd.Type.Results.List) != 1 {
			continue
		}
		id, ok := fd.Type.Results.List[0].Type.(*ast.Ident)
		if !ok || !strings.HasSuffix(id.Name, "Option") || !ast.IsExported(id.Name) {
			continue
		}
		if !strings.HasPrefix(fd.Name.Name, "With") {
			out = append(out, fset.Position(fd.Pos()).String()+": "+fd.Name.Name+" returns an option but is not named With…")
		}
	}
	return out, nil
}

// settingsExceptions are exported names the rule would misread, with why.
var settingsExceptions = map[string]string{
	"store/records.go:Config": "the repository of configuration records (badge templates), not settings: an interface, reached as Repos.Config()",
}

// TestOneShapeForSettings runs optionsViolations over every non-test Go
// file of the repository's packages (every module).
func TestOneShapeForSettings(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		rel, _ := filepath.Rel(root, path)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		v, err := optionsViolations(fset, filepath.ToSlash(rel), src)
		for _, s := range v {
			file, _, _ := strings.Cut(s, ":")
			name, _, _ := strings.Cut(s[strings.LastIndex(s, ": ")+2:], " ")
			if _, ok := settingsExceptions[file+":"+name]; ok {
				continue
			}
			t.Error(s)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d files checked; is the walk rooted right?", files)
	}
}

func TestOptionsViolationsFindsEachForm(t *testing.T) {
	src := `package p
type Config map[string]string
type BadOption struct{}
type GoodOption func(*int)
type GoodConfig struct{}
func Strict() GoodOption { return nil }
func WithX() GoodOption { return nil }
`
	v, err := optionsViolations(token.NewFileSet(), "p.go", src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Config is not a struct", "BadOption is not a function type", "Strict returns an option"}
	if len(v) != len(want) {
		t.Fatalf("violations %q, want %d", v, len(want))
	}
	for i, w := range want {
		if !strings.Contains(v[i], w) {
			t.Errorf("violation %d = %q, want it to say %q", i, v[i], w)
		}
	}
}
