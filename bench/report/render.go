package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

// Doc is what the template sees: the run's facts through .Conf, and the
// functions of funcs.
type Doc struct {
	Run  *Run
	Conf map[string]string
	Mode string
}

// Render executes the template tmpl over run into w.
func Render(w io.Writer, tmpl string, run *Run) error {
	t, err := template.New("doc").Funcs(funcs(run)).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return err
	}
	return t.Execute(w, Doc{Run: run, Conf: run.Conf, Mode: run.Conf["mode"]})
}

func funcs(run *Run) template.FuncMap {
	return template.FuncMap{
		"headline": func() string { return headlineTable(run) },
		"machine":  func() string { return machine(run) },
		"raw":      func(area string) string { return raw(run, area) },
		"table":    func(area string) string { return table(run, area) },
		"cmds":     func(area string) string { return cmds(run, area) },
		"maxload":  func() string { return num(run.MaxLoad()) },
		"loaded":   func() bool { return run.Loaded() },
		// fig writes one figure of the run for the prose: fig PKG NAME PROCS UNIT
		// (PKG "" for any package); "not measured" when missing.
		"fig": func(pkg, name string, procs int, unit string) string {
			_, v, u, ok := run.find(Ref{Pkg: pkg, Names: []string{name}, Unit: unit}, procs)
			if !ok {
				return NotMeasured
			}
			return figure(v, u, "")
		},
	}
}

// headlineTable is the table of Headline over run.
func headlineTable(run *Run) string {
	var b strings.Builder
	b.WriteString("| what | target (issue) | ours | met? | " + strings.Join(peerNames, " | ") + " |\n")
	b.WriteString("| --- | --- | --- | --- |" + strings.Repeat(" --- |", len(peerNames)) + "\n")
	for _, row := range Headline {
		c := run.Eval(row)
		fmt.Fprintf(&b, "| %s ([raw](#%s)) | %s | %s | %s | %s |\n", c.What, anchor(c.Area), c.Target, c.Ours, c.Met, strings.Join(c.Peers, " | "))
	}
	return b.String()
}

// anchor is the heading id the template gives an area's raw output.
func anchor(area string) string { return "raw-" + area }

var machineKeys = []struct{ key, label string }{
	{"date", "date (UTC)"}, {"mode", "mode"}, {"cores", "cores (nproc)"}, {"cpu-model", "CPU (/proc/cpuinfo)"}, {"cpu-go", "CPU (as go test names it)"},
	{"go", "Go"}, {"kernel", "kernel"}, {"commit", "commit"}, {"mariadb", "MariaDB"}, {"node", "Node (peers)"},
	{"load-before", "load average before (1, 5, 15 min)"}, {"load-after", "load average after"},
}

// machine lists the run's facts, known keys first.
func machine(run *Run) string {
	var b strings.Builder
	b.WriteString("| | |\n| --- | --- |\n")
	seen := map[string]bool{}
	for _, k := range machineKeys {
		seen[k.key] = true
		v, ok := run.Conf[k.key]
		if !ok {
			v = "not recorded"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", k.label, v)
	}
	for _, k := range run.Keys {
		if !seen[k] {
			fmt.Fprintf(&b, "| %s | %s |\n", k, run.Conf[k])
		}
	}
	return b.String()
}

// keep tells the output lines worth showing: benchmark lines, results,
// skips and failures (not go test's header or log lines).
func keep(line string) bool {
	t := strings.TrimSpace(line)
	for _, p := range []string{"Benchmark", "ok ", "FAIL", "--- SKIP", "--- FAIL", "--- BENCH", "panic:", "PASS"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return strings.Contains(t, "_test.go:") // a skip's or failure's message
}

// raw is the commands and output lines of area as a code block.
func raw(run *Run, area string) string {
	bs := run.Area(area)
	if len(bs) == 0 {
		return "(not run)\n"
	}
	var b strings.Builder
	b.WriteString("```\n")
	for _, bl := range bs {
		fmt.Fprintf(&b, "$ %s    # load %s\n", bl.Cmd, bl.Load)
		pending := false
		for _, l := range bl.Lines {
			if !keep(l) && !pending {
				continue
			}
			f := strings.Fields(l)
			// A benchmark name whose figures a log line pushed down: show the
			// name and figures together.
			if len(f) > 0 && strings.HasPrefix(f[0], "Benchmark") && (len(f) < 2 || !isInt(f[1])) {
				b.WriteString(f[0])
				pending = true
				continue
			}
			if pending {
				if len(f) > 0 && isInt(f[0]) {
					b.WriteString("\t" + strings.TrimSpace(l) + "\n")
					pending = false
				}
				continue
			}
			b.WriteString(l + "\n")
		}
		if pending {
			b.WriteString("\n")
		}
	}
	b.WriteString("```\n")
	return b.String()
}

// cmds lists the commands of area.
func cmds(run *Run, area string) string {
	var b strings.Builder
	for _, bl := range run.Area(area) {
		fmt.Fprintf(&b, "    %s\n", bl.Cmd)
	}
	return b.String()
}

// table is every result of area as a table: one column per unit, in the
// order the units first appear, so custom metrics (p99-ms, rss-MB, ...)
// show without the doc knowing them.
func table(run *Run, area string) string {
	var units []string
	var rows []*Result
	for _, bl := range run.Area(area) {
		for _, r := range bl.Results {
			rows = append(rows, r)
			for _, m := range r.Metrics {
				if !slices.Contains(units, m.Unit) {
					units = append(units, m.Unit)
				}
			}
		}
	}
	if len(rows) == 0 {
		return "(" + NotMeasured + ")\n"
	}
	var b strings.Builder
	b.WriteString("| benchmark | package | cores | runs | " + strings.Join(units, " | ") + " |\n")
	b.WriteString("| --- | --- | ---: | ---: |" + strings.Repeat(" ---: |", len(units)) + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %s |", strings.TrimPrefix(r.Name, "Benchmark"), r.Pkg, r.Procs, group(fmt.Sprint(r.N)))
		for _, u := range units {
			v, ok := r.Get(u)
			switch {
			case !ok || (u == "ops/s" && !hasUnit(r, u)):
				b.WriteString(" |")
			case u == "ns/op":
				b.WriteString(" " + dur(v) + " |")
			default:
				b.WriteString(" " + num(v) + " |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func hasUnit(r *Result, u string) bool {
	for _, m := range r.Metrics {
		if m.Unit == u {
			return true
		}
	}
	return false
}

// MaxLoad is the highest 1-minute load average the run recorded (before,
// at each command, after).
func (r *Run) MaxLoad() float64 {
	loads := []string{r.Conf["load-before"], r.Conf["load-after"]}
	for _, b := range r.Blocks {
		loads = append(loads, b.Load)
	}
	m := 0.0
	for _, l := range loads {
		if f := strings.Fields(l); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil && v > m {
				m = v
			}
		}
	}
	return m
}

// Loaded tells a run taken while something else kept the machine busy: a
// 1-minute load average above half the cores at some point (the benchmark
// itself keeps about one core busy on its own).
func (r *Run) Loaded() bool {
	cores, err := strconv.Atoi(r.Conf["cores"])
	if err != nil || cores < 1 {
		cores = 1
	}
	return r.MaxLoad() > 0.5*float64(cores)+1
}
