package main

import "github.com/credshare/credshare/internal/keyfile"

// The key file format lives in internal/keyfile, shared with the example
// programs; these names keep the commands short.
type (
	keyFile   = keyfile.File
	issuerKey = keyfile.Key
)

func loadKey(path, issuerDID string) (issuerKey, error) { return keyfile.Load(path, issuerDID) }

func writeKeyFile(path string, kf keyFile, force bool) error { return keyfile.Write(path, kf, force) }
