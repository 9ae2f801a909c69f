package lcw_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
)

func TestDeepLinkOrderAndRoundTrip(t *testing.T) {
	p := lcw.DeepLinkParams{
		Issuer: "did:key:z6MkIssuer", VCRequestURL: "https://cred.example.edu/wallet/lcw/issue/1f0e?x=1&y=2",
		AuthType: "bearer", Challenge: "ch+/=", VPVersion: "1.1",
	}
	link := p.Link(lcw.DefaultDeepLink)
	want := "dccrequest://request?issuer=did%3Akey%3Az6MkIssuer&vc_request_url=https%3A%2F%2Fcred.example.edu%2Fwallet%2Flcw%2Fissue%2F1f0e%3Fx%3D1%26y%3D2&auth_type=bearer&challenge=ch%2B%2F%3D&vp_version=1.1"
	if link != want {
		t.Fatalf("link\n got %s\nwant %s", link, want)
	}
	got, err := lcw.ParseDeepLink(link)
	if err != nil || got != p {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	// The https form parses the same way.
	if got, err := lcw.ParseDeepLink(p.Link(lcw.DefaultUniversalLink)); err != nil || got != p {
		t.Fatalf("universal link: %+v, %v", got, err)
	}
}

func TestParseDeepLinkRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		link string
		want error
	}{
		"no issuer":       {"dccrequest://request?vc_request_url=https%3A%2F%2Fa.example%2Fi&auth_type=bearer&challenge=c", wallet.ErrMalformed},
		"relative url":    {"dccrequest://request?issuer=did:key:z&vc_request_url=%2Fi&auth_type=bearer&challenge=c", wallet.ErrMalformed},
		"code auth":       {"dccrequest://request?issuer=did:key:z&vc_request_url=https%3A%2F%2Fa.example%2Fi&auth_type=code&challenge=c", wallet.ErrUnsupported},
		"no challenge":    {"dccrequest://request?issuer=did:key:z&vc_request_url=https%3A%2F%2Fa.example%2Fi&auth_type=bearer", wallet.ErrMalformed},
		"bad query":       {"dccrequest://request?issuer=%zz", wallet.ErrMalformed},
		"javascript vc_u": {"dccrequest://request?issuer=did:key:z&vc_request_url=javascript%3Aalert(1)&auth_type=bearer&challenge=c", wallet.ErrMalformed},
	} {
		if _, err := lcw.ParseDeepLink(c.link); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := lcw.New(lcw.Config{}); err == nil {
		t.Fatal("no service accepted")
	}
}

func FuzzParseDeepLink(f *testing.F) {
	f.Add(lcw.DeepLinkParams{Issuer: "did:key:z", VCRequestURL: "https://a.example/i/1", AuthType: "bearer", Challenge: "c", VPVersion: "1.1"}.Link(lcw.DefaultDeepLink))
	f.Add("dccrequest://request?issuer=&vc_request_url=")
	f.Add("https://lcw.app/request.html?issuer=did%3Aweb%3Aa&vc_request_url=http%3A%2F%2F127.0.0.1%3A1%2Fx&auth_type=bearer&challenge=%00")
	f.Add("%")
	f.Fuzz(func(t *testing.T, link string) {
		p, err := lcw.ParseDeepLink(link)
		if err != nil {
			var we *wallet.Error
			if !errors.As(err, &we) || we.Status/100 != 4 {
				t.Fatalf("not a 4xx *wallet.Error: %v", err)
			}
			return
		}
		if p.Issuer == "" || p.Challenge == "" || p.AuthType != "bearer" {
			t.Fatalf("accepted %+v", p)
		}
		u, err := url.Parse(p.VCRequestURL)
		if err != nil || u.Host == "" {
			t.Fatalf("accepted request URL %q", p.VCRequestURL)
		}
		// What we write, we read back.
		again, err := lcw.ParseDeepLink(p.Link(lcw.DefaultDeepLink))
		if err != nil || again != p {
			t.Fatalf("re-encoded link does not round-trip: %+v %v", again, err)
		}
	})
}
