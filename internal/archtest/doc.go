// Package archtest holds tests that guard the architecture of the module:
// which packages may import what.
package archtest
