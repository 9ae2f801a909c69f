// Command report renders docs/performance.md from the results file of
// bench/run.sh and the template bench/performance.md.tmpl: the headline
// table (targets of the issues, our figures, the peers' from the same run
// and the ratios), the machine the run was taken on, and per area the
// commands, a table of every figure and the raw lines.
//
//	go run ./bench/report -results bench/results/latest.txt \
//	    -template bench/performance.md.tmpl -o docs/performance.md
//
// It reads `go test -bench` output by hand (standard library only); any
// custom metric a benchmark reports is shown under its own unit.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
)

func main() {
	results := flag.String("results", "bench/results/latest.txt", "results file written by bench/run.sh")
	tmpl := flag.String("template", "bench/performance.md.tmpl", "template of the doc")
	out := flag.String("o", "docs/performance.md", "the doc to write (- for stdout)")
	flag.Parse()
	if err := run(*results, *tmpl, *out); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(results, tmplPath, out string) error {
	f, err := os.Open(results)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", results, err)
	}
	t, err := os.ReadFile(tmplPath)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := Render(&b, string(t), r); err != nil {
		return err
	}
	if out == "-" {
		_, err = os.Stdout.Write(b.Bytes())
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}
