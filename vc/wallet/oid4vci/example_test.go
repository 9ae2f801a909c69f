package oid4vci_test

import (
	"fmt"

	"github.com/credshare/credshare/vc/wallet/oid4vci"
)

// An offer by reference: the wallet fetches the offer from the URI.
func ExampleByReferenceLink() {
	fmt.Println(oid4vci.ByReferenceLink(oid4vci.DefaultOfferScheme, "https://credentials.example.edu/wallet/oid4vci/offers/3f1c0b1e"))
	// Output:
	// openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fcredentials.example.edu%2Fwallet%2Foid4vci%2Foffers%2F3f1c0b1e
}

// A wallet reads an offer by value.
func ExampleParseOfferLink() {
	offer := `{"credential_issuer":"https://credentials.example.edu/wallet/oid4vci",` +
		`"credential_configuration_ids":["OpenBadgeCredential_ldp_vc"],` +
		`"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"abc.def"}}}`
	o, uri, err := oid4vci.ParseOfferLink(oid4vci.ByValueLink(oid4vci.DefaultOfferScheme, []byte(offer)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.CredentialIssuer, o.CredentialConfigurationIDs, uri == "")
	// Output:
	// https://credentials.example.edu/wallet/oid4vci [OpenBadgeCredential_ldp_vc] true
}
