package mysqlstore_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/go-sql-driver/mysql"
)

// secretPasswords hold each character that confused hand-written
// redaction (@ : / ? #), alone, repeated and combined, between letters no
// program output contains by chance.
var secretPasswords = []string{
	"Kx9qZt", "Kx9@Qm4", "Kx9:Qm4", "Kx9/Qm4", "Kx9?Qm4", "Kx9#Qm4",
	"Kx9@@Qm4::Vz7", "Kx9@Qm4:Vz7/Wj2?Rt5#Hb8", "@Kx9Qm4@", ":Kx9Qm4:", "/Kx9Qm4/", "?Kx9Qm4?", "#Kx9Qm4#",
	"Kx9:Qm4@Vz7", "Kx9@Qm4/Vz7", "Kx9/Qm4@Vz7", "Kx9?Qm4@Vz7#Wj2", "Kx9#Qm4:Vz7@", "Kx9%40Qm4", "Kx9(Qm4)Vz7",
	"Kx9 Qm4\"Vz7\\Wj2", "@:/?#Kx9@:/?#Qm4@:/?#",
}

// leaks returns a substring of secret of at least 4 bytes found in out.
func leaks(out, secret string) (string, bool) {
	for n := len(secret); n >= 4; n-- {
		for i := 0; i+n <= len(secret); i++ {
			if s := secret[i : i+n]; strings.Contains(out, s) {
				return s, true
			}
		}
	}
	return "", false
}

func TestRedactDSN(t *testing.T) {
	forms := []string{
		"credshare:%s@tcp(db.example.internal:3306)/credshare?parseTime=true",
		"credshare:%s@tcp(127.0.0.1)/credshare",
		"credshare:%s@unix(/run/mysqld/mysqld.sock)/credshare",
		"credshare:%s@/credshare",
		"credshare:%s@tcp(db:3306)",                  // no database: the driver refuses it
		"mysql://credshare:%s@db.example.internal/x", // a URL, not a driver DSN
		"credshare:%s@db:3306/credshare",             // no protocol
		"%s",
	}
	for _, pw := range secretPasswords {
		for _, form := range forms {
			dsn := strings.ReplaceAll(form, "%s", pw)
			got := mysqlstore.RedactDSN(dsn)
			if s, ok := leaks(got, pw); ok {
				t.Errorf("RedactDSN(%q) = %q shows %q of the password", dsn, got, s)
			}
			if cfg, err := mysql.ParseDSN(dsn); err == nil {
				back, err := mysql.ParseDSN(got)
				if err != nil || back.Passwd != "" || back.User != cfg.User || back.Addr != cfg.Addr || back.DBName != cfg.DBName {
					t.Errorf("RedactDSN(%q) = %q: not the same DSN without a password (%v)", dsn, got, err)
				}
			}
		}
	}
	for in, want := range map[string]string{
		"credshare:Kx9@Qm4:Vz7@tcp(127.0.0.1:3306)/credshare?parseTime=true": "credshare@tcp(127.0.0.1:3306)/credshare?parseTime=true",
		"root@tcp(h:3306)/db":                              "root@tcp(h:3306)/db",
		"mysql://u:Kx9Qm4@db.example:3306/credshare":       "mysql://u:xxxxx@db.example:3306/credshare",
		"mysql://u:Kx9/Qm4@db.example:3306/credshare":      mysqlstore.HiddenDSN,
		"mysql://u:Kx9#Qm4@db.example:3306/credshare":      mysqlstore.HiddenDSN,
		"credshare:Kx9Qm4@tcp(db:3306)":                    mysqlstore.HiddenDSN,
		"/var/lib/credshare/credshare.db":                  mysqlstore.HiddenDSN,
		"mysql://u:Kx9Qm4@db.example/credshare?tls=true#x": "mysql://u:xxxxx@db.example/credshare",
		"mysql://db.example/credshare?password=Kx9Qm4":     "mysql://db.example/credshare",
		"not a dsn": mysqlstore.HiddenDSN,
	} {
		if got := mysqlstore.RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckDSN(t *testing.T) {
	if err := mysqlstore.CheckDSN("u:Kx9/Qm4@tcp(h:1)/db"); err != nil {
		t.Fatal(err)
	}
	for _, dsn := range []string{"u:Kx9/Qm4@tcp(h:1)", "u:Kx9Qm4@tcp(h:1", "u:Kx9Qm4@h:1/db"} {
		err := mysqlstore.CheckDSN(dsn)
		if !errors.Is(err, mysqlstore.ErrUnparsableDSN) {
			t.Fatalf("CheckDSN(%q) = %v", dsn, err)
		}
		if strings.Contains(err.Error(), "Kx9") {
			t.Fatalf("CheckDSN(%q) shows the DSN: %v", dsn, err)
		}
	}
}

// FuzzRedactDSN checks that what RedactDSN returns never carries a
// password: a DSN the driver parses comes back as the same DSN with no
// password, a URL comes back with none or the redaction mark, and anything
// else with an '@' is hidden.
func FuzzRedactDSN(f *testing.F) {
	for _, pw := range secretPasswords {
		f.Add("u:" + pw + "@tcp(h:1)/db?parseTime=true")
		f.Add("mysql://u:" + pw + "@h:1/db")
	}
	f.Add("sqlite:/x.db")
	f.Fuzz(func(t *testing.T, dsn string) {
		got := mysqlstore.RedactDSN(dsn)
		if cfg, err := mysql.ParseDSN(dsn); err == nil {
			// The driver does not always read its own output back (odd
			// addresses); when it does, the password is gone.
			if back, err := mysql.ParseDSN(got); err == nil && (back.Passwd != "" || back.User != cfg.User || back.DBName != cfg.DBName) {
				t.Fatalf("RedactDSN(%q) = %q", dsn, got)
			}
			if cfg.Passwd != "" && strings.Contains(got, ":"+cfg.Passwd+"@") {
				t.Fatalf("RedactDSN(%q) = %q shows the password", dsn, got)
			}
			return
		}
		if got == mysqlstore.HiddenDSN {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("RedactDSN(%q) = %q: not a URL without query and fragment", dsn, got)
		}
		if u.User != nil {
			if pw, set := u.User.Password(); set && pw != "xxxxx" {
				t.Fatalf("RedactDSN(%q) = %q keeps password %q", dsn, got, pw)
			}
		}
		if strings.Count(got, "@") > 1 || (u.User == nil && strings.Contains(got, "@")) {
			t.Fatalf("RedactDSN(%q) = %q: an '@' outside the user information", dsn, got)
		}
	})
}
