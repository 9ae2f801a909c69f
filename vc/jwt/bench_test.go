package jwt_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/jwt"
	"github.com/credshare/credshare/vc/vctest"
)

// BenchmarkJWT measures this package alone on the ~2 KB OBv3 credential
// of vc/issuer's benchmarks, beside the bare Ed25519 operations it cannot
// go below (same run, same machine load). Compare on ops/cpu-s.
func BenchmarkJWT(b *testing.B) {
	ctx := context.Background()
	key := vctest.Key()
	iss, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, _ := vc.NewSigner(key, vm)
	req := vctest.Request(iss, "did:example:holder", vc.V1)
	req.Status = nil
	c, _ := vc.Compose(req)
	raw, _ := json.Marshal(c)
	j, _ := jwt.NewSigner(s)
	tok, err := j.SignCredential(ctx, c)
	if err != nil {
		b.Fatal(err)
	}
	r := did.NewResolver()
	run := func(name string, f func() error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if err := f(); err != nil {
					b.Fatal(err)
				}
			}
			if d := cpuTime() - cpu; d > 0 {
				b.ReportMetric(float64(b.N)/d.Seconds(), "ops/cpu-s")
			}
		})
	}
	msg := []byte(tok[:len(tok)-87])
	sig := ed25519.Sign(key, msg)
	run("ed25519-sign", func() error { ed25519.Sign(key, msg); return nil })
	run("ed25519-verify", func() error { ed25519.Verify(key.Public().(ed25519.PublicKey), msg, sig); return nil })
	run("SignCredential", func() error { _, err := j.SignCredential(ctx, c); return err })
	run("Sign", func() error { _, err := j.Sign(ctx, raw); return err })
	run("Parse", func() error { _, err := jwt.Parse(tok); return err })
	run("Verify", func() error { _, _, err := jwt.Verify(ctx, tok, r); return err })
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
