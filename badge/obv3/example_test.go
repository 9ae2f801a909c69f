package obv3_test

import (
	"crypto/rand"
	"fmt"
	"log"

	"github.com/credshare/credshare/badge/obv3"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/wallet"
)

// A provider whose record (credential, page) ids are keyed with a secret.
// A deployment loads IDKey from its secret store, the same in every
// process; after a rotation the old key goes in PreviousIDKeys.
func ExampleProvider_RecordID() {
	priv, didKey, vm, err := did.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	signer, err := vc.NewSigner(priv, vm)
	if err != nil {
		log.Fatal(err)
	}
	iss, err := issuer.New(issuer.Config{Signer: signer})
	if err != nil {
		log.Fatal(err)
	}
	lists, err := status.New(status.Config{BaseURL: "https://credentials.example.edu/status"})
	if err != nil {
		log.Fatal(err)
	}
	vci, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{Profile: vc.Profile{ID: didKey, Name: "Example University"},
		Signer: iss, Achievement: wallet.StoreAchievements("Example University", nil), Status: lists.Entry})
	if err != nil {
		log.Fatal(err)
	}
	idKey := make([]byte, obv3.MinIDKeySize)
	if _, err := rand.Read(idKey); err != nil {
		log.Fatal(err)
	}
	p, err := obv3.New(obv3.Config{Store: memstore.New(), Issuer: vci, IssuerID: didKey, Status: lists, Revoker: lists, IDKey: idKey})
	if err != nil {
		log.Fatal(err)
	}
	key := "issue:5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c"
	id := p.RecordID(key)
	fmt.Println("version", int(id.Version()), "stable:", id == p.RecordID(key))
	// Output: version 8 stable: true
}
