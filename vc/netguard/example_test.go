package netguard_test

import (
	"fmt"
	"net/netip"

	"github.com/credshare/credshare/vc/netguard"
)

// The default client fetches public https URLs only.
func ExampleDefault() {
	c := netguard.Default()
	_, err := c.Get("https://169.254.169.254/latest/meta-data/")
	fmt.Println(err != nil)
	// Output: true
}

// A deployment whose did:web documents live inside its network names what
// to allow; everything else stays refused.
func ExampleNew() {
	c, err := netguard.New(netguard.Config{Policy: netguard.Policy{
		AllowHosts:    []string{"did.internal.example.edu"},
		AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")},
	}})
	fmt.Println(c != nil, err)
	// Output: true <nil>
}

func ExamplePolicy_Check() {
	p := netguard.Policy{}
	fmt.Println(p.Check(netip.MustParseAddr("10.0.0.1")) != nil)
	fmt.Println(p.Check(netip.MustParseAddr("::ffff:127.0.0.1")) != nil)
	fmt.Println(p.Check(netip.MustParseAddr("8.8.8.8")))
	// Output:
	// true
	// true
	// <nil>
}
