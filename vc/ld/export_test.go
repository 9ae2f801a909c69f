package ld

import (
	"context"
	"errors"
)

// FastCanonical canonicalises doc by the fast path only; ok is false when
// the fast path does not apply.
func (l *Loader) FastCanonical(ctx context.Context, doc any) (out string, ok bool, err error) {
	quads, err := l.fastQuads(ctx, doc)
	if errors.Is(err, errSlow) {
		return "", false, nil
	}
	if err != nil {
		return "", true, err
	}
	out, err = l.canonical(ctx, quads)
	return out, true, err
}

// SlowCanonical canonicalises doc by json-gold's expansion and toRDF.
func (l *Loader) SlowCanonical(ctx context.Context, doc any) (string, error) {
	return l.slowCanonicalize(ctx, doc)
}

// FastWork is the fast path's work budget for one document.
const FastWork = fastWork

// FastWithin runs the fast path on doc with a work budget; slow reports
// that it gave up (errSlow: Canonicalize would use json-gold).
func (l *Loader) FastWithin(ctx context.Context, doc any, budget int) (slow bool, err error) {
	_, err = l.fastQuadsWithin(ctx, doc, budget, nil)
	if errors.Is(err, errSlow) {
		return true, nil
	}
	return false, err
}
