package main

import (
	"fmt"
	"strings"
)

// Ref names one figure: the first benchmark of Names (see Run.Find) that
// ran in Pkg (any when "") with GOMAXPROCS Procs, and the unit read from
// it. Unit "ops/s" is derived from ns/op when not reported; unit "" picks
// the first rate the line reports (a unit ending in "/s" other than MB/s),
// else ops/s.
type Ref struct {
	Pkg   string
	Names []string
	Procs int
	Unit  string
}

// Target is what the issue asks of a row. A zero Target means "measure":
// the figure is shown with no verdict.
type Target struct {
	Min     float64 // the figure must be at least this
	Scaling int     // the figure at this many procs must be ≥ 0.8 × Scaling × the figure at 1
	Zero    string  // and the figure's line must report 0 of this unit (no award lost)
	Text    string  // how the doc states it
}

// Peer columns of the headline table, in order.
var peerNames = []string{"Digital Bazaar (Node)", "DIDKit WASM", "json-gold + crypto/ed25519"}

// Row is one line of the headline table.
type Row struct {
	What   string
	Area   string // the section (anchor) its raw lines are in
	Label  string // the unit as the doc writes it ("sign/s"); the Ref's unit when ""
	Ours   Ref
	Target Target
	Peers  []*Ref // one per peerNames entry; nil: the peer has no such figure
}

func one(name string, procs int, unit string) Ref {
	return Ref{Names: []string{name}, Procs: procs, Unit: unit}
}

func node(key string) *Ref  { r := one("BenchmarkNode/"+key, 1, "ops/s"); return &r }
func gold(name string) *Ref { r := one("BenchmarkJSONGold/"+name, 1, "ops/s"); return &r }

func atLeast(v float64, text string) Target { return Target{Min: v, Text: text} }

// Headline is the headline table of docs/performance.md: the issue's
// targets (credshare issue 13, and the earlier ones the table kept) and
// the figures that are only measured.
var Headline = []Row{
	{What: "eddsa-rdfc-2022 (VC 2.0) sign, one core", Area: "vc", Label: "sign/s",
		Ours: one("BenchmarkSign/eddsa-rdfc-2022/vc2", 1, "ops/s"), Target: atLeast(2000, "≥ 2,000 sign/s"),
		Peers: []*Ref{node("db_eddsa_rdfc_2022_sign"), nil, gold("eddsa-rdfc-2022/sign")}},
	{What: "eddsa-rdfc-2022 (VC 2.0) verify, one core", Area: "vc", Label: "verify/s",
		Ours: one("BenchmarkVerify/eddsa-rdfc-2022/vc2", 1, "ops/s"), Target: atLeast(2000, "≥ 2,000 verify/s"),
		Peers: []*Ref{node("db_eddsa_rdfc_2022_verify"), nil, gold("eddsa-rdfc-2022/verify")}},
	{What: "Ed25519Signature2020 (VC 1.1) sign, one core", Area: "vc", Label: "sign/s",
		Ours: one("BenchmarkSign/Ed25519Signature2020/vc1", 1, "ops/s"), Target: atLeast(2000, "≥ 2,000 sign/s"),
		Peers: []*Ref{node("db_ed25519signature2020_sign"), node("didkit_ed25519signature2020_sign"), gold("Ed25519Signature2020/sign")}},
	{What: "Ed25519Signature2020 (VC 1.1) verify, one core", Area: "vc", Label: "verify/s",
		Ours: one("BenchmarkVerify/Ed25519Signature2020/vc1", 1, "ops/s"), Target: atLeast(2000, "≥ 2,000 verify/s"),
		Peers: []*Ref{node("db_ed25519signature2020_verify"), node("didkit_ed25519signature2020_verify"), gold("Ed25519Signature2020/verify")}},
	{What: "VC-JWT (EdDSA) sign, one core", Area: "vc", Label: "sign/s",
		Ours: one("BenchmarkSign/VC-JWT/vc1", 1, "ops/s"), Target: atLeast(15000, "≥ 15,000 sign/s"),
		Peers: []*Ref{nil, node("didkit_jwt_sign"), nil}},
	{What: "VC-JWT (EdDSA) verify, one core", Area: "vc", Label: "verify/s",
		Ours:  one("BenchmarkVerify/VC-JWT/vc1", 1, "ops/s"),
		Peers: []*Ref{nil, node("didkit_jwt_verify"), nil}},
	{What: "eddsa-jcs-2022 (VC 2.0) sign, one core", Area: "vc", Label: "sign/s",
		Ours: one("BenchmarkSign/eddsa-jcs-2022/vc2", 1, "ops/s")},
	{What: "eddsa-jcs-2022 (VC 2.0) verify, one core", Area: "vc", Label: "verify/s",
		Ours: one("BenchmarkVerify/eddsa-jcs-2022/vc2", 1, "ops/s")},
	{What: "Bulk issuance (vc/issuer BenchmarkBulk), 1 → 2 cores", Area: "bulk",
		Ours:   Ref{Names: []string{"BenchmarkBulk/VC-JWT/vc1", "BenchmarkBulk", "BenchmarkBulk/"}, Procs: 1},
		Target: Target{Scaling: 2, Text: "scales with cores (2 cores ≥ 1.6 × one)"}},
	{What: "Pipeline end to end (batches of 256), MariaDB, 2 cores", Area: "pipeline",
		Ours:   Ref{Names: []string{"BenchmarkPipelineBatchMariaDB", "BenchmarkPipelineMariaDB", "BenchmarkEndToEndMariaDB"}, Procs: 2, Unit: "events/s"},
		Target: atLeast(5000, "≥ 5,000 events/s")},
	{What: "Pipeline end to end (batches of 256), SQLite, 2 cores", Area: "pipeline",
		Ours:   Ref{Names: []string{"BenchmarkPipelineBatchSQLite", "BenchmarkPipelineSQLite", "BenchmarkEndToEndSQLite"}, Procs: 2, Unit: "events/s"},
		Target: atLeast(10000, "≥ 10,000 events/s")},
	{What: "Pipeline end to end, memstore, 2 cores", Area: "pipeline",
		Ours: Ref{Names: []string{"BenchmarkPipelineBatchMemstore", "BenchmarkPipelineMemstore", "BenchmarkEndToEndMemstore"}, Procs: 2, Unit: "events/s"}},
	{What: "examples/openedx: Kafka → store → Credly fake → Kafka, SQLite", Area: "e2e",
		Ours: one("BenchmarkEndToEnd/store=sqlite", 2, "events/s")},
	{What: "examples/openedx: Kafka → store → Credly fake → Kafka, MariaDB", Area: "e2e",
		Ours: one("BenchmarkEndToEnd/store=mysql", 2, "events/s")},
	{What: "Status allocation, SQLite (one committed transaction each)", Area: "status",
		Ours: one("BenchmarkAllocateSQLite", 2, "allocs/s")},
	{What: "Status allocation, MariaDB", Area: "status",
		Ours: one("BenchmarkAllocateMariaDB", 2, "allocs/s")},
	{What: "List publish: set a bit + re-encode + sign 131,072 entries (Bitstring, eddsa-rdfc-2022)", Area: "status",
		Ours: one("BenchmarkRevokeEncodeSign131072/bitstring", 2, "ns/op")},
	{What: "Status check from the checker's cache, one core", Area: "status",
		Ours: one("BenchmarkCheckCached", 1, "ns/op")},
	{What: "Hot store transaction, SQLite", Area: "store",
		Ours: Ref{Pkg: "./store/sqlitestore", Names: []string{"BenchmarkHotTx"}, Procs: 2, Unit: "ns/op"}},
	{What: "Hot store transaction, MariaDB", Area: "store",
		Ours: Ref{Pkg: "./store/mysqlstore", Names: []string{"BenchmarkHotTx"}, Procs: 2, Unit: "ns/op"}},
	{What: "Outbox claim 10 + complete 10, SQLite", Area: "store",
		Ours: Ref{Pkg: "./store/sqlitestore", Names: []string{"BenchmarkClaim10"}, Procs: 2, Unit: "items/s"}},
	{What: "Outbox claim 10 + complete 10, MariaDB", Area: "store",
		Ours: Ref{Pkg: "./store/mysqlstore", Names: []string{"BenchmarkClaim10"}, Procs: 2, Unit: "items/s"}},
	{What: "Rule evaluation, 1,000 templates × 3 requirements, one core", Area: "rules", Label: "events/s",
		Ours: one("BenchmarkMatch", 1, "ops/s"), Target: atLeast(500000, "≥ 500,000 events/s")},
	{What: "Kafka decode + dispatch (kafkabus on kfake), 2 cores", Area: "eventbus",
		Ours: one("BenchmarkSourceThroughput", 2, "events/s"), Target: atLeast(50000, "≥ 50,000 events/s")},
	{What: "Kafka event latency at 2,000 events/s, p99", Area: "eventbus", Label: "µs at p99",
		Ours: one("BenchmarkSourceLatency", 2, "p99-µs")},
	{What: "Provider dispatch through the outbox, fake with 50 ms latency and 20 req/s (dispatcher at 19/s, server burst 1)", Area: "providers", Label: "% of the limit",
		Ours:   one("BenchmarkDispatchCredly/dispatcherRate=19/s,serverBurst=1", 2, "%ofLimit"),
		Target: Target{Min: 95, Zero: "dead", Text: "≥ 95 % of the rate, no award lost"}},
	{What: "Provider client paced at 19/s against the same fake", Area: "providers", Label: "% of the limit",
		Ours:   one("BenchmarkIssueAtRateLimit/offered=20/s,serverBurst=1,clientPacing=19/s", 2, "%ofLimit"),
		Target: Target{Min: 95, Zero: "lost", Text: "≥ 95 % of the rate, no award lost"}},
	{What: "LCW issuance over HTTP (offer → DIDAuth → signed credential)", Area: "wallet",
		Ours: one("BenchmarkLCWIssue", 2, "ns/op")},
}

// Verdicts of the met? column.
const (
	Met         = "**met**"
	NotMet      = "not met"
	NotMeasured = "not measured"
	NoTarget    = "—"
)

// Cells is one rendered headline row.
type Cells struct {
	What, Area, Target, Ours, Met string
	Peers                         []string
}

// find resolves ref to a result and the value of its unit.
func (run *Run) find(ref Ref, procs int) (*Result, float64, string, bool) {
	for _, n := range ref.Names {
		res := run.Find(ref.Pkg, n, procs)
		if res == nil {
			continue
		}
		unit := ref.Unit
		if unit == "" {
			unit = "ops/s"
			for _, m := range res.Metrics {
				if strings.HasSuffix(m.Unit, "/s") && m.Unit != "MB/s" {
					unit = m.Unit
					break
				}
			}
		}
		v, ok := res.Get(unit)
		return res, v, unit, ok
	}
	return nil, 0, "", false
}

// Eval renders row over run.
func (run *Run) Eval(row Row) Cells {
	c := Cells{What: row.What, Area: row.Area, Target: row.Target.Text, Met: NoTarget}
	if c.Target == "" {
		c.Target = "measure"
	}
	res, v, unit, ok := run.find(row.Ours, row.Ours.Procs)
	label := row.Label
	if label == "" {
		label = unit
	}
	switch {
	case !ok:
		c.Ours, c.Met = NotMeasured, NotMeasured
		if row.Target == (Target{}) {
			c.Met = NoTarget
		}
	case row.Target.Scaling > 0:
		p := row.Target.Scaling
		res2, v2, _, ok2 := run.find(Ref{Pkg: row.Ours.Pkg, Names: []string{res.Name}, Unit: unit}, p)
		c.Ours = fmt.Sprintf("%s: 1 core %s", strings.TrimPrefix(res.Name, "Benchmark"), figure(v, unit, label))
		if !ok2 || res2 == nil {
			c.Ours += fmt.Sprintf(", %d cores not measured", p)
			c.Met = NotMeasured
			break
		}
		s := v2 / v
		c.Ours += fmt.Sprintf(", %d cores %s (×%s)", p, figure(v2, unit, label), ratio(s))
		c.Met = verdict(s >= 0.8*float64(p))
	default:
		c.Ours = "**" + figure(v, unit, label) + "**" + extras(res, unit)
		if row.Target.Min > 0 {
			ok := v >= row.Target.Min
			if z := row.Target.Zero; z != "" {
				n, has := res.Get(z)
				ok = ok && has && n == 0
			}
			c.Met = verdict(ok)
		}
	}
	for i := range peerNames {
		var ref *Ref
		if i < len(row.Peers) {
			ref = row.Peers[i]
		}
		if ref == nil {
			c.Peers = append(c.Peers, "—")
			continue
		}
		peer, pv, punit, pok := run.find(*ref, ref.Procs)
		switch {
		case !pok:
			c.Peers = append(c.Peers, NotMeasured)
		case !ok || pv == 0:
			c.Peers = append(c.Peers, figure(pv, punit, label))
		default:
			cell := fmt.Sprintf("%s (ours ÷ peer = %s", figure(pv, punit, label), ratio(v/pv))
			// Per CPU-second too when both sides report it: the ratio a loaded
			// machine does not distort.
			oc, ok1 := res.Get("ops/cpu-s")
			pc, ok2 := peer.Get("ops/cpu-s")
			if ok1 && ok2 && pc > 0 {
				cell += fmt.Sprintf("; per CPU-s %s", ratio(oc/pc))
			}
			c.Peers = append(c.Peers, cell+")")
		}
	}
	return c
}

func verdict(ok bool) string {
	if ok {
		return Met
	}
	return NotMet
}

// extras lists the line's other custom metrics (p99, RSS, CPU time...),
// whatever their units: the standard ones and throughput in MB/s are left
// to the raw lines.
func extras(res *Result, main string) string {
	var out []string
	for _, m := range res.Metrics {
		switch m.Unit {
		case main, "ns/op", "B/op", "allocs/op", "MB/s":
			continue
		}
		out = append(out, num(m.Value)+" "+m.Unit)
	}
	if main == "ns/op" {
		if a, ok := res.Get("allocs/op"); ok {
			out = append(out, num(a)+" allocs/op")
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (" + strings.Join(out, ", ") + ")"
}
