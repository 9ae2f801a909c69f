package vc_test

import (
	"testing"

	"github.com/credshare/credshare/vc"
)

func TestDIDOf(t *testing.T) {
	for in, want := range map[string]string{
		"did:key:z6Mk#z6Mk":         "did:key:z6Mk",
		"did:web:example.com#key-1": "did:web:example.com",
		"did:example:1?versionId=2": "did:example:1",
		"did:example:1/path#frag":   "did:example:1",
		"did:key:z6Mk":              "did:key:z6Mk",
	} {
		if got := vc.DIDOf(in); got != want {
			t.Errorf("DIDOf(%q) = %q, want %q", in, got, want)
		}
	}
}
