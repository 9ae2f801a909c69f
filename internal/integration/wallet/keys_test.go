package wallettest_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// The simulator's own did:key encoding agrees with the vc/did package's.
func TestDIDKeyAgreesWithVCDID(t *testing.T) {
	for range 20 {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		d1, vm1 := wallettest.DIDKey(pub)
		d2, vm2 := did.KeyDID(pub)
		if d1 != d2 || vm1 != vm2 {
			t.Fatalf("simulator %s %s, vc/did %s %s", d1, vm1, d2, vm2)
		}
		back, err := did.ParseKeyDID(vm1)
		if err != nil || !back.Equal(pub) {
			t.Fatalf("vc/did cannot read the simulator's did:key: %v", err)
		}
	}
}
