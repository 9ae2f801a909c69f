package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Metric is one value of a benchmark line with its unit ("ns/op",
// "events/s", "p99-ms", ...).
type Metric struct {
	Value float64
	Unit  string
}

// Result is one benchmark line: the name without its GOMAXPROCS suffix,
// the GOMAXPROCS it ran with, the iteration count and the metrics in the
// order printed.
type Result struct {
	Pkg     string // the package of the block, as in its command
	Name    string
	Procs   int
	N       int64
	Metrics []Metric
	Line    string
}

// Get returns the value of unit and whether the line has it. "ops/s" is
// derived from ns/op when the line does not report it itself.
func (r *Result) Get(unit string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Unit == unit {
			return m.Value, true
		}
	}
	if unit == "ops/s" {
		if ns, ok := r.Get("ns/op"); ok && ns > 0 {
			return 1e9 / ns, true
		}
	}
	return 0, false
}

// Block is the output of one command of the run.
type Block struct {
	Area    string
	Load    string
	Cmd     string
	Lines   []string // the raw output
	Results []*Result
}

// Run is a parsed results file: the machine facts (key: value lines before
// the first block and after the last) and the blocks.
type Run struct {
	Keys   []string
	Conf   map[string]string
	Blocks []*Block
}

// Find returns the first result named name (or, for a name ending in "/",
// the first whose name starts with it) that ran with procs in package pkg
// (any package when pkg is ""), or nil.
func (r *Run) Find(pkg, name string, procs int) *Result {
	for _, b := range r.Blocks {
		for _, res := range b.Results {
			if res.Procs != procs || (pkg != "" && res.Pkg != pkg) {
				continue
			}
			if res.Name == name || (strings.HasSuffix(name, "/") && strings.HasPrefix(res.Name, name)) {
				return res
			}
		}
	}
	return nil
}

// Area returns the blocks of area, in run order.
func (r *Run) Area(area string) []*Block {
	var out []*Block
	for _, b := range r.Blocks {
		if b.Area == area {
			out = append(out, b)
		}
	}
	return out
}

const blockPrefix = "== area: "

// Parse reads a results file written by bench/run.sh: "key: value" lines,
// then blocks opened by "== area: A | load: L | cmd: C" holding the
// command's output, `go test -bench` lines among it.
func Parse(rd io.Reader) (*Run, error) {
	run := &Run{Conf: map[string]string{}}
	var cur *Block
	var procs []int
	pending := "" // a benchmark name whose figures were pushed to a later line by a log line
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, blockPrefix); ok {
			area, rest, ok1 := strings.Cut(rest, " | load: ")
			load, cmd, ok2 := strings.Cut(rest, " | cmd: ")
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("line %d: malformed block header %q", n, line)
			}
			cur = &Block{Area: strings.TrimSpace(area), Load: strings.TrimSpace(load), Cmd: strings.TrimSpace(cmd)}
			run.Blocks = append(run.Blocks, cur)
			procs = cpuList(cur.Cmd)
			pending = ""
			continue
		}
		if cur == nil || strings.HasPrefix(line, "load-after: ") {
			if k, v, ok := strings.Cut(line, ": "); ok {
				if _, seen := run.Conf[k]; !seen {
					run.Keys = append(run.Keys, k)
				}
				run.Conf[k] = strings.TrimSpace(v)
			}
			continue
		}
		cur.Lines = append(cur.Lines, line)
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok && run.Conf["cpu-go"] == "" {
			run.Keys = append(run.Keys, "cpu-go")
			run.Conf["cpu-go"] = strings.TrimSpace(cpu)
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		name := ""
		switch {
		case strings.HasPrefix(f[0], "Benchmark") && len(f) >= 2 && isInt(f[1]):
			name, f = f[0], f[1:]
		case strings.HasPrefix(f[0], "Benchmark"):
			pending = f[0]
			continue
		case pending != "" && isInt(f[0]):
			name = pending
		default:
			continue
		}
		pending = ""
		res, err := parseFigures(name, f, procs)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		res.Line = line
		res.Pkg = cmdPkg(cur.Cmd)
		cur.Results = append(cur.Results, res)
	}
	return run, sc.Err()
}

func isInt(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// cpuList is the -cpu list of a go test command, [1] without one.
func cpuList(cmd string) []int {
	f := strings.Fields(cmd)
	for i, a := range f {
		if (a == "-cpu" || a == "-test.cpu") && i+1 < len(f) {
			var out []int
			for _, p := range strings.Split(strings.Trim(f[i+1], "'\""), ",") {
				if n, err := strconv.Atoi(p); err == nil {
					out = append(out, n)
				}
			}
			return out
		}
	}
	return []int{1}
}

// parseFigures reads "N value unit value unit ..." for name; the name's
// "-P" suffix is its GOMAXPROCS when P is in the command's -cpu list (go
// test leaves the suffix off for 1).
func parseFigures(name string, f []string, procs []int) (*Result, error) {
	res := &Result{Name: name, Procs: 1}
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if p, err := strconv.Atoi(name[i+1:]); err == nil && p != 1 && contains(procs, p) {
			res.Name, res.Procs = name[:i], p
		}
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%s: iterations %q", name, f[0])
	}
	res.N = n
	rest := f[1:]
	if len(rest)%2 != 0 {
		return nil, fmt.Errorf("%s: odd number of value/unit fields", name)
	}
	for i := 0; i < len(rest); i += 2 {
		v, err := strconv.ParseFloat(rest[i], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: value %q", name, rest[i])
		}
		res.Metrics = append(res.Metrics, Metric{Value: v, Unit: rest[i+1]})
	}
	return res, nil
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// cmdPkg is the package a go test command names (its last argument), ""
// for other commands.
func cmdPkg(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) < 2 || f[0] != "go" || f[1] != "test" {
		return ""
	}
	return f[len(f)-1]
}
