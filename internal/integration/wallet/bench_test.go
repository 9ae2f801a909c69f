package wallettest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// BenchmarkLCWIssue measures one whole Learner Credential Wallet issuance
// over HTTP on memstore: offer (record + challenge + QR code), the holder's
// DIDAuth presentation (eddsa-jcs-2022), its verification, status
// allocation, composing and signing an eddsa-rdfc-2022 OBv3 credential.
func BenchmarkLCWIssue(b *testing.B) {
	e := newEnv(b, memstore.New())
	defer e.srv.Close()
	aw := e.award(1, "course-v1:edX+Bench+1")
	h, _ := wallettest.NewHolder()
	h.Client, h.Now = e.srv.Client(), e.clk.Now
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		o, err := e.lcw.Offer(ctx, wallet.OfferRequest{LearnerID: 1, AwardUUID: aw.UUID})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.LCW(ctx, o.DeepLink); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLCWRefusedReplay measures the cost of refusing a replayed
// presentation (the work an attacker can make the issuer do per request).
func BenchmarkLCWRefusedReplay(b *testing.B) {
	e := newEnv(b, memstore.New())
	defer e.srv.Close()
	aw := e.award(1, "course-v1:edX+Bench+1")
	h, _ := wallettest.NewHolder()
	h.Client, h.Now = e.srv.Client(), e.clk.Now
	ctx := context.Background()
	o, _ := e.lcw.Offer(ctx, wallet.OfferRequest{LearnerID: 1, AwardUUID: aw.UUID})
	if _, err := h.LCW(ctx, o.DeepLink); err != nil {
		b.Fatal(err)
	}
	p, _ := lcw.ParseDeepLink(o.DeepLink)
	vp, _ := h.Present(wallettest.PresentOptions{Challenge: p.Challenge})
	b.ResetTimer()
	for b.Loop() {
		if _, status, _ := h.Do(ctx, http.MethodPost, p.VCRequestURL, "application/json", vp, nil); status != http.StatusConflict {
			b.Fatalf("status %d", status)
		}
	}
}

// BenchmarkOffer measures making an offer (record, challenge, deep link,
// QR code PNG).
func BenchmarkOffer(b *testing.B) {
	e := newEnv(b, memstore.New())
	defer e.srv.Close()
	aw := e.award(1, "course-v1:edX+Bench+1")
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.lcw.Offer(ctx, wallet.OfferRequest{LearnerID: 1, AwardUUID: aw.UUID}); err != nil {
			b.Fatal(err)
		}
	}
}
