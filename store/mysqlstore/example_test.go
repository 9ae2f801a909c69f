package mysqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"log"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore"
)

// Opening a store from a DSN. A wrong DSN, a server that is down or refused
// credentials give an error matching store.ErrUnavailable.
func ExampleOpen() {
	ctx := context.Background()
	s, err := mysqlstore.Open(ctx, "credshare:secret@tcp(127.0.0.1:3306)/credshare?parseTime=true",
		mysqlstore.WithMaxOpenConns(30))
	if errors.Is(err, store.ErrUnavailable) {
		log.Fatalf("database not reachable: %v", err) // never contains the password
	}
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
}

// Using a pool the host application already has; Close leaves it open.
func ExampleNew() {
	ctx := context.Background()
	db, err := sql.Open("mysql", "app:secret@tcp(db:3306)/app")
	if err != nil {
		log.Fatal(err)
	}
	db.SetConnMaxLifetime(10 * time.Minute)
	s, err := mysqlstore.New(ctx, db, mysqlstore.WithMigrationLockTimeout(2*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
}
