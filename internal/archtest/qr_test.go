package archtest

import (
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// qrModule is the QR-code encoder; qrPackage is the one package of this
// module that may import it, so that vc/wallet and the protocols' users who
// never draw a QR code do not depend on it.
const (
	qrModule  = "github.com/skip2/go-qrcode"
	qrPackage = "vc/wallet/qr"
)

// TestOnlyQRPackageImportsQREncoder walks every package of the module
// (test files included) and refuses an import of the QR-code encoder
// anywhere but vc/wallet/qr.
func TestOnlyQRPackageImportsQREncoder(t *testing.T) {
	root := repoRoot(t)
	ctx := build.Default
	ctx.CgoEnabled = false
	found := false
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
			return filepath.SkipDir // a nested module (interop/aries)
		}
		pkg, err := ctx.ImportDir(path, build.ImportComment)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		for _, imp := range slices.Concat(pkg.Imports, pkg.TestImports, pkg.XTestImports) {
			if imp != qrModule && !strings.HasPrefix(imp, qrModule+"/") {
				continue
			}
			if rel != qrPackage {
				t.Errorf("%s imports %s; only %s may (render QR codes with it)", rel, imp, qrPackage)
			} else {
				found = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Errorf("%s does not import %s: update this test", qrPackage, qrModule)
	}
}

// TestWalletDoesNotDependOnQREncoder: vc/wallet (the protocol types, the
// service, the registry) builds without the QR-code encoder, even
// indirectly.
func TestWalletDoesNotDependOnQREncoder(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./vc/wallet")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == qrModule || dep == module+"/"+qrPackage {
			t.Errorf("vc/wallet depends on %s", dep)
		}
	}
}
