package bake_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc/bake"
)

// fuzzBaker bounds the fuzzed inputs' work.
var fuzzBaker = bake.Baker{MaxImage: 1 << 16, MaxCredential: 1 << 12}

// checkFuzzResult holds for any input: an error of the package's kinds,
// or a credential within the limit that bakes back into the image and
// reads back the same.
func checkFuzzResult(t *testing.T, img, got []byte, err error, bakeFn func(context.Context, []byte, []byte) ([]byte, error)) {
	t.Helper()
	if err != nil {
		for _, k := range []error{bake.ErrNotBaked, bake.ErrNotPNG, bake.ErrNotSVG, bake.ErrMalformed, bake.ErrTooLarge} {
			if errors.Is(err, k) {
				return
			}
		}
		t.Fatalf("an error of no kind: %v", err)
	}
	if len(got) > 1<<12 {
		t.Fatalf("a credential of %d bytes over the limit", len(got))
	}
	ctx := context.Background()
	again, err := bakeFn(ctx, img, got)
	if err != nil {
		if errors.Is(err, bake.ErrTooLarge) || errors.Is(err, bake.ErrMalformed) && strings.Contains(err.Error(), "binds the prefix openbadges") {
			return // the image grew over the limit; the root binds the prefix to another namespace
		}
		t.Fatalf("re-baking the unbaked credential: %v", err)
	}
	back, err := bake.Baker{MaxImage: len(again), MaxCredential: 1 << 12}.Unbake(ctx, again)
	if err != nil || !bytes.Equal(back, got) {
		t.Fatalf("re-baked: %q, %v; want %q", back, err, got)
	}
}

func FuzzUnbakePNG(f *testing.F) {
	ctx := context.Background()
	img := testPNG(f)
	f.Add(img)
	baked, _ := bake.BakePNG(ctx, img, []byte(jsonCred))
	f.Add(baked)
	jwt, _ := bake.BakePNG(ctx, img, []byte(jwtCred))
	f.Add(jwt)
	f.Add(insertBeforeIEND(img, chunkBytes("iTXt", itxtData("openbadgecredential", true, []byte(jsonCred)))))
	f.Add(baked[:len(baked)/2])
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := fuzzBaker.UnbakePNG(ctx, in)
		checkFuzzResult(t, in, got, err, fuzzBaker.BakePNG)
	})
}

func FuzzUnbakeSVG(f *testing.F) {
	ctx := context.Background()
	f.Add([]byte(testSVG))
	for _, c := range []string{jsonCred, jwtCred} {
		baked, _ := bake.BakeSVG(ctx, []byte(testSVG), []byte(c))
		f.Add(baked)
	}
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`))
	f.Add([]byte(`<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>`))
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><ob:credential xmlns:ob="https://purl.imsglobal.org/ob/v3p0"><![CDATA[{}]]]]><![CDATA[>]]></ob:credential></svg>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := fuzzBaker.UnbakeSVG(ctx, in)
		checkFuzzResult(t, in, got, err, fuzzBaker.BakeSVG)
	})
}
