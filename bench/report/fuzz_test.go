package main

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: any input either parses or is refused with an error, never a
// panic, and whatever parses renders into the headline table.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/sample.txt"); err == nil {
		f.Add(string(b))
	}
	f.Add("== area: x | load: 1 | cmd: go test -cpu 1,2 ./x\nBenchmarkA-2 10 5 ns/op 3 p99-ms\n")
	f.Add("== area: x | load: 1 | cmd: c\nBenchmarkA\tlog line\n 10 5 ns/op\n")
	f.Fuzz(func(t *testing.T, in string) {
		run, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		_ = headlineTable(run)
		for _, b := range run.Blocks {
			_ = table(run, b.Area)
			_ = raw(run, b.Area)
		}
	})
}
