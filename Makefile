# The two commands of the README:
#   make quickstart   runs the main job (the quickstart example on the embedded default)
#   make test         runs the whole test suite, provisioning MariaDB, Redis and
#                     the npm verifiers when they are missing
.PHONY: quickstart test test-short vet bench bench-report bench-report-short bench-render reliability reliability-short fuzz

quickstart:
	go run ./examples/quickstart

test:
	./scripts/test.sh

# Without MariaDB/Redis/npm: the tests that need them are skipped with a message.
# Every module of the workspace (go.work): the core, the adapters, the
# command, the examples and the integration tests.
MODULES = $(shell go list -m -f '{{.Dir}}')

test-short:
	for m in $(MODULES); do (cd $$m && go test ./...) || exit 1; done

vet:
	for m in $(MODULES); do (cd $$m && go vet ./... && go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...) || exit 1; done

bench:
	for m in $(MODULES); do (cd $$m && go test -run '^$$' -bench . -benchtime 2s ./...) || exit 1; done

# Runs the benchmark set (bench/set.txt) with the peers and rewrites
# docs/performance.md from the results (bench/results/latest.txt). Needs an
# idle machine and ~15 minutes; provisions its own MariaDB and the npm verifiers.
bench-report:
	bash bench/run.sh

# The same with tiny benchtimes (a few minutes): results and doc in
# bench/results/short/, docs/performance.md untouched.
bench-report-short:
	bash bench/run.sh -short

# Re-renders docs/performance.md from the committed results, running nothing
# (after editing bench/performance.md.tmpl or bench/report).
bench-render:
	bash bench/run.sh -render

# The reliability suite (issue 12, docs/reliability.md "Measured"): the real
# examples/openedx program under kill -9, provider faults, a MariaDB restart
# and a consumer-group member's death, on a MariaDB of its own. reliability
# runs the issue's sizes (hours) and then every fuzz target for its budget
# (make fuzz); reliability-short the default ones (minutes), without fuzzing.
reliability:
	CREDSHARE_RELIABILITY_LONG=1 ./scripts/reliability.sh
	./scripts/fuzz.sh

# Every fuzz target of every module for CREDSHARE_FUZZTIME (default 30s) each
# (issue 12): pass/fail per target, non-zero on any failure, crashers left in
# the package's testdata/fuzz, where go test replays them.
fuzz:
	./scripts/fuzz.sh

reliability-short:
	CREDSHARE_RELIABILITY_LONG=0 ./scripts/reliability.sh
