package main

import (
	"context"
	"os"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/store"
)

// addPlatformProviders adds Credly and Accredible when their credentials
// are in the environment, storing the accounts so the providers find their
// tokens.
func addPlatformProviders(ctx context.Context, st store.Store, providers map[string]badge.Provider) error {
	if org, token := os.Getenv("CREDLY_ORG_ID"), os.Getenv("CREDLY_TOKEN"); org != "" && token != "" {
		if err := st.Config().PutAccount(ctx, store.ProviderAccount{ID: org, Provider: "credly", Name: "Credly organisation", Secret: token, Active: true}); err != nil {
			return err
		}
		var opts []credly.Option
		if os.Getenv("CREDLY_SANDBOX") == "1" {
			opts = append(opts, credly.WithSandbox())
		}
		p, err := credly.NewProvider(st.Config(), opts...)
		if err != nil {
			return err
		}
		providers[p.ID()] = p
	}
	if key := os.Getenv("ACCREDIBLE_API_KEY"); key != "" {
		if err := st.Config().PutAccount(ctx, store.ProviderAccount{ID: "default", Provider: "accredible", Name: "Accredible", Secret: key, Active: true}); err != nil {
			return err
		}
		var opts []accredible.Option
		if os.Getenv("ACCREDIBLE_SANDBOX") == "1" {
			opts = append(opts, accredible.WithSandbox())
		}
		p, err := accredible.NewProvider(st.Config(), opts...)
		if err != nil {
			return err
		}
		providers[p.ID()] = p
	}
	return nil
}
