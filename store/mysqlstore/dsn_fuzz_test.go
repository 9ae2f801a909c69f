package mysqlstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/credshare/credshare/store"
	"github.com/go-sql-driver/mysql"
)

// FuzzDSNPassword checks that the password the store masks in errors is
// the one the driver reads from the DSN, and that an error built from any
// text holding it never shows it.
func FuzzDSNPassword(f *testing.F) {
	for _, seed := range []string{
		"user:pass@tcp(127.0.0.1:3306)/db",
		"user:p@ss:w/rd@tcp(host)/db?parseTime=true",
		"user@unix(/tmp/mysql.sock)/db",
		"user:pass@/db",
		":only-pass@tcp(h:1)/",
		"no-slash-at-all",
		"user:pa/ss@tcp(h:1)/db",
		"u:@tcp(h)/d",
		"user:**@tcp(h)/db",
		"u:x*@tcp(h)/xx*",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		pw := dsnPassword(dsn)
		if cfg, err := mysql.ParseDSN(dsn); err == nil && cfg.Passwd != pw {
			t.Fatalf("dsnPassword(%q) = %q, the driver reads %q", dsn, pw, cfg.Passwd)
		}
		err := openErr(pw, "mysqlstore: cannot connect to "+dsn, errors.New("driver said "+dsn))
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("openErr does not match ErrUnavailable: %v", err)
		}
		if pw != "" && strings.Contains(err.Error(), pw) {
			t.Fatalf("error shows the password %q: %v", pw, err)
		}
	})
}
