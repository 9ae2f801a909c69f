// Package storeurl opens a store.Store from a URL-like string, for the CLI
// and the example programs:
//
//	sqlite:/var/lib/credshare/credshare.db   (or a bare path ending in .db)
//	mysql:user:pass@tcp(127.0.0.1:3306)/credshare?parseTime=true
//	mem:
package storeurl

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/credshare/credshare/store/sqlitestore"
)

// Open opens (and migrates) the store that spec names.
func Open(ctx context.Context, spec string) (store.Store, error) {
	scheme, rest, ok := strings.Cut(spec, ":")
	if !ok || (len(scheme) == 1 && strings.HasPrefix(rest, `\`)) {
		scheme, rest = "sqlite", spec
	}
	switch scheme {
	case "sqlite", "file":
		rest = strings.TrimPrefix(rest, "//")
		if rest == "" {
			return nil, fmt.Errorf("storeurl: %q: sqlite needs a file path", spec)
		}
		return sqlitestore.Open(ctx, rest)
	case "mysql":
		rest = strings.TrimPrefix(rest, "//")
		return mysqlstore.Open(ctx, rest)
	case "mem", "memory":
		return memstore.New(), nil
	case "/", ".":
		return sqlitestore.Open(ctx, spec)
	}
	if strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, ".") || strings.HasSuffix(spec, ".db") {
		return sqlitestore.Open(ctx, spec)
	}
	return nil, fmt.Errorf("storeurl: unknown store %q (want sqlite:PATH, mysql:DSN or mem:)", scheme)
}

// Redact returns spec with any password removed, for printing and
// logging. MySQL DSNs go through mysqlstore.RedactDSN (the driver's own
// parser, so a password holding '@', ':', '/', '?' or '#' is found whole,
// and a DSN it cannot parse is replaced whole by a placeholder); other URL
// forms use url.URL.Redacted.
func Redact(spec string) string {
	scheme, rest, ok := strings.Cut(spec, ":")
	if !ok {
		return spec
	}
	switch scheme {
	case "mysql":
		return "mysql:" + mysqlstore.RedactDSN(strings.TrimPrefix(rest, "//"))
	case "sqlite", "file", "mem", "memory":
		if !strings.Contains(rest, "@") {
			return spec
		}
	}
	if u, err := url.Parse(spec); err == nil && u.User != nil {
		return u.Redacted()
	}
	if strings.Contains(spec, "@") {
		return scheme + ":(not shown: it may hold a password)"
	}
	return spec
}
