package storetest

import "testing"

func (s suite) exchanges(t *testing.T)    {}
func (s suite) config(t *testing.T)       {}
func (s suite) transactions(t *testing.T) {}
