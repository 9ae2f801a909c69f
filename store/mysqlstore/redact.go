package mysqlstore

import (
	"errors"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// HiddenDSN is what RedactDSN returns for a DSN it cannot take apart: the
// input itself is never shown, since where its password ends is unknown.
const HiddenDSN = "[DSN not shown: it cannot be parsed]"

// ErrUnparsableDSN is returned by CheckDSN for a DSN the driver cannot
// parse. Its text never quotes the DSN.
var ErrUnparsableDSN = errors.New("mysqlstore: the DSN cannot be parsed (want user:password@tcp(host:3306)/dbname[?param=value]; not shown, as it may hold a password)")

// CheckDSN reports whether the driver can parse dsn: nil, or
// ErrUnparsableDSN. Unlike the driver's own error, ErrUnparsableDSN holds
// no part of dsn, so a caller can print it whatever the DSN holds.
func CheckDSN(dsn string) error {
	if _, err := mysql.ParseDSN(dsn); err != nil {
		return ErrUnparsableDSN
	}
	return nil
}

// RedactDSN returns dsn with its password removed, for printing and
// logging.
//
// A go-sql-driver DSN ("user:password@tcp(host:3306)/db?…") is parsed with
// the driver's own parser (mysql.ParseDSN), its password blanked and the
// DSN formatted again (mysql.Config.FormatDSN), so whatever the password
// holds (@ : / ? # …) none of it is left. Failing that, a URL
// ("scheme://user:password@host/…") is shown as url.URL.Redacted shows it,
// without its query and fragment, provided the parse leaves no '@' outside
// the user information, where a part of a password could hide. Anything
// else is HiddenDSN: never the input.
func RedactDSN(dsn string) string {
	if cfg, err := mysql.ParseDSN(dsn); err == nil {
		cfg.Passwd = ""
		return cfg.FormatDSN()
	}
	return redactURL(dsn)
}

// redactURL is the URL and fallback half of RedactDSN.
func redactURL(s string) string {
	if !strings.Contains(s, "://") {
		return HiddenDSN
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return HiddenDSN
	}
	// A password holding '/', '?' or '#' ends the authority early: the
	// rest of it lands in the path, query or fragment, with the '@'.
	if strings.Contains(u.Host, "@") || strings.Contains(u.Path, "@") || strings.Contains(u.RawPath, "@") ||
		strings.Contains(u.RawQuery, "@") || strings.Contains(u.Fragment, "@") || strings.Contains(u.RawFragment, "@") {
		return HiddenDSN
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return u.Redacted()
}
