package main

import (
	"os"
	"strings"
	"testing"
)

func sample(t *testing.T) *Run {
	t.Helper()
	f, err := os.Open("testdata/sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func row(t *testing.T, what string) Row {
	t.Helper()
	for _, r := range Headline {
		if r.What == what {
			return r
		}
	}
	t.Fatalf("no headline row %q", what)
	return Row{}
}

func TestParse(t *testing.T) {
	run := sample(t)
	if got := run.Conf["load-after"]; got != "0.60 0.30 0.30" {
		t.Errorf("load-after = %q", got)
	}
	if len(run.Blocks) != 7 {
		t.Fatalf("%d blocks, want 7", len(run.Blocks))
	}
	// -cpu 2: the -2 suffix is GOMAXPROCS, not part of the name.
	r := run.Find("", "BenchmarkPipelineSQLite", 2)
	if r == nil || r.Pkg != "./credential/pipeline" {
		t.Fatalf("PipelineSQLite-2: %+v", r)
	}
	if v, _ := r.Get("p99-ms"); v != 4.0 {
		t.Errorf("p99-ms = %v", v)
	}
	// -cpu 1: "vc2" keeps its digit, and the name has no suffix.
	if run.Find("", "BenchmarkSign/eddsa-rdfc-2022/vc2", 1) == nil {
		t.Error("Sign/eddsa-rdfc-2022/vc2 at 1 core not found")
	}
	// A log line between the name and its figures.
	c := run.Find("./status", "BenchmarkCheckCached", 1)
	if c == nil || c.N != 8000000 {
		t.Fatalf("CheckCached at 1: %+v", c)
	}
	if run.Find("", "BenchmarkCheckCached", 2) == nil {
		t.Error("CheckCached-2 not found")
	}
	if v, ok := run.Find("", "BenchmarkMatch", 1).Get("ops/s"); !ok || int(v) != 1675041 {
		t.Errorf("Match ops/s derived from ns/op = %v, %v", v, ok)
	}
}

func TestHeadline(t *testing.T) {
	run := sample(t)
	for _, tc := range []struct {
		what, ours, met string
		peers           []string
	}{
		// 1e9/400000 = 2,500 sign/s ≥ 2,000; Digital Bazaar 157, json-gold 250.
		{"eddsa-rdfc-2022 (VC 2.0) sign, one core", "**2,500 sign/s** (2,600 ops/cpu-s)", Met,
			[]string{"157 sign/s (ours ÷ peer = 16; per CPU-s 15)", "—", "250 sign/s (ours ÷ peer = 10)"}},
		// 1,600 sign/s < 2,000; DIDKit 114 → 14; json-gold 400 → 4.00.
		{"Ed25519Signature2020 (VC 1.1) sign, one core", "**1,600 sign/s** (1,700 ops/cpu-s)", NotMet,
			[]string{"167 sign/s (ours ÷ peer = 9.58; per CPU-s 9.44)", "114 sign/s (ours ÷ peer = 14; per CPU-s 14)", "400 sign/s (ours ÷ peer = 4.00)"}},
		{"VC-JWT (EdDSA) sign, one core", "**20,000 sign/s** (21,000 ops/cpu-s)", Met,
			[]string{"—", "2,803 sign/s (ours ÷ peer = 7.14; per CPU-s 7.24)", "—"}},
		// Peers missing from the run.
		{"eddsa-rdfc-2022 (VC 2.0) verify, one core", "**2,000 verify/s** (2,100 ops/cpu-s)", Met,
			[]string{NotMeasured, "—", NotMeasured}},
		// Benchmarks that do not exist or skipped.
		{"Ed25519Signature2020 (VC 1.1) verify, one core", NotMeasured, NotMeasured, nil},
		{"Bulk issuance (vc/issuer BenchmarkBulk), 1 → 2 cores", NotMeasured, NotMeasured, nil},
		{"Pipeline end to end (batches of 256), MariaDB, 2 cores", NotMeasured, NotMeasured, nil},
		{"eddsa-jcs-2022 (VC 2.0) sign, one core", NotMeasured, NoTarget, nil},
		// Custom metrics shown generically.
		{"Pipeline end to end (batches of 256), SQLite, 2 cores", "**12,500 events/s** (4 p99-ms, 50 rss-MB)", Met, nil},
		{"Pipeline end to end, memstore, 2 cores", "**11,853 events/s** (3.20 p99-ms, 41.5 rss-MB)", NoTarget, nil},
		{"Status check from the checker's cache, one core", "**135 ns** (1 allocs/op)", NoTarget, nil},
		{"Rule evaluation, 1,000 templates × 3 requirements, one core", "**1,675,042 events/s** (2.60 matches/event)", Met, nil},
	} {
		c := run.Eval(row(t, tc.what))
		if c.Ours != tc.ours || c.Met != tc.met {
			t.Errorf("%s: ours %q met %q, want %q %q", tc.what, c.Ours, c.Met, tc.ours, tc.met)
		}
		if tc.peers != nil && strings.Join(c.Peers, "|") != strings.Join(tc.peers, "|") {
			t.Errorf("%s: peers %q, want %q", tc.what, c.Peers, tc.peers)
		}
	}
}

func TestZeroConstraint(t *testing.T) {
	const what = "Provider dispatch through the outbox, fake with 50 ms latency and 20 req/s (dispatcher at 19/s, server burst 1)"
	for _, tc := range []struct{ line, ours, met string }{
		{"BenchmarkDispatchCredly/dispatcherRate=19/s,serverBurst=1-2 1 10 ns/op 18.3 issues/s 91.5 %ofLimit 8 429s 0 dead", "**91.5 % of the limit** (18.3 issues/s, 8 429s, 0 dead)", NotMet},
		{"BenchmarkDispatchCredly/dispatcherRate=19/s,serverBurst=1-2 1 10 ns/op 96 %ofLimit 1 dead", "**96 % of the limit** (1 dead)", NotMet},
		{"BenchmarkDispatchCredly/dispatcherRate=19/s,serverBurst=1-2 1 10 ns/op 96 %ofLimit 0 dead", "**96 % of the limit** (0 dead)", Met},
	} {
		run, err := Parse(strings.NewReader("== area: providers | load: 0 | cmd: go test -cpu 2 ./badge/internal/perf\n" + tc.line + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		c := run.Eval(row(t, what))
		if c.Ours != tc.ours || c.Met != tc.met {
			t.Errorf("ours %q met %q, want %q %q", c.Ours, c.Met, tc.ours, tc.met)
		}
	}
}

func TestScaling(t *testing.T) {
	for _, tc := range []struct {
		lines, ours, met string
	}{
		{"BenchmarkBulk 10 1000000 ns/op 1000 credentials/s\nBenchmarkBulk-2 10 500000 ns/op 1900 credentials/s\n",
			"Bulk: 1 core 1,000 credentials/s, 2 cores 1,900 credentials/s (×1.90)", Met},
		{"BenchmarkBulk/rdfc 10 1000000 ns/op\nBenchmarkBulk/rdfc-2 10 800000 ns/op\n",
			"Bulk/rdfc: 1 core 1,000 ops/s, 2 cores 1,250 ops/s (×1.25)", NotMet},
		{"BenchmarkBulk 10 1000000 ns/op\n", "Bulk: 1 core 1,000 ops/s, 2 cores not measured", NotMeasured},
	} {
		in := "== area: bulk | load: 0 | cmd: go test -bench Bulk -cpu 1,2 ./vc/issuer\n" + tc.lines
		run, err := Parse(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		c := run.Eval(row(t, "Bulk issuance (vc/issuer BenchmarkBulk), 1 → 2 cores"))
		if c.Ours != tc.ours || c.Met != tc.met {
			t.Errorf("ours %q met %q, want %q %q", c.Ours, c.Met, tc.ours, tc.met)
		}
	}
}

// TestTemplate renders the real template over the sample: it must parse,
// name every area it shows, and carry the run's facts.
func TestTemplate(t *testing.T) {
	tmpl, err := os.ReadFile("../performance.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Render(&b, string(tmpl), sample(t)); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	for _, want := range []string{
		"2026-12-07T12:00:00Z", "0.60 0.30 0.30", "| what | target (issue) | ours | met? |",
		"**2,500 sign/s**", "BenchmarkPipelineSQLite-2", "--- SKIP: BenchmarkPipelineMariaDB",
		"BenchmarkCheckCached\t8000000",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("rendered doc lacks %q", want)
		}
	}
}

func TestLoaded(t *testing.T) {
	run := sample(t) // 2 cores, 1-minute loads 0.1 … 0.6
	if run.Loaded() {
		t.Errorf("sample counted as loaded (max %v)", run.MaxLoad())
	}
	run.Blocks[2].Load = "9.50 3.00 1.00"
	if !run.Loaded() || run.MaxLoad() != 9.5 {
		t.Errorf("a block at load 9.5 on 2 cores: loaded %v, max %v", run.Loaded(), run.MaxLoad())
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{1234567: "1,234,567", 123.4: "123", 12.34: "12.3", 1.234: "1.23", 0.1234: "0.123", 0: "0", -1500: "-1,500", 99.98: "100", 9.999: "10", 0.9999: "1"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
	for ns, want := range map[float64]string{999990: "1 ms", 135: "135 ns", 4500: "4.50 µs", 3471663: "3.47 ms", 2.5e9: "2.50 s"} {
		if got := dur(ns); got != want {
			t.Errorf("dur(%v) = %q, want %q", ns, got, want)
		}
	}
}

// TestSetFile keeps bench/set.txt, the template and Headline consistent:
// every line has its six fields and names a package directory that exists,
// every area of the set has a section in the template, and every headline
// row points at an area that is run.
func TestSetFile(t *testing.T) {
	set, err := os.ReadFile("../set.txt")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile("../performance.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	areas := map[string]bool{"peers": true} // run.sh runs the node peers itself
	for i, line := range strings.Split(string(set), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 6 {
			t.Errorf("set.txt line %d: %d fields, want 6: %q", i+1, len(f), line)
			continue
		}
		areas[f[0]] = true
		if st, err := os.Stat("../../" + f[1]); err != nil || !st.IsDir() {
			t.Errorf("set.txt line %d: no package directory %s", i+1, f[1])
		}
	}
	for a := range areas {
		if !strings.Contains(string(tmpl), `{{raw "`+a+`"}}`) {
			t.Errorf("area %q has no {{raw %q}} in the template", a, a)
		}
	}
	for _, r := range Headline {
		if !areas[r.Area] {
			t.Errorf("headline row %q: area %q is not in set.txt", r.What, r.Area)
		}
	}
}
