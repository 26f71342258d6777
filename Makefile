# sesame's build and test entry points. `make test` is the test command the
# README names and .ci/run calls.

GO ?= go
IAMSIM := internal/iam/testdata/iamsim

.PHONY: build test testdeps bench-iam

build:
	$(GO) build -o sesame ./cmd/sesame

# testdeps installs what the tests need beyond Go modules: the npm package
# the IAM differential test runs as its oracle (tests only, never shipped).
testdeps:
	@if command -v npm >/dev/null 2>&1 && [ -f $(IAMSIM)/package.json ]; then \
		npm ci --prefix $(IAMSIM) --no-audit --no-fund --loglevel=error; \
	fi

test: testdeps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# bench-iam times StartSession authorization (target and document) in
# sesame and in iam-simulate on the same cases in one run, and prints ns/op
# for each and the ratio. sesame alone: go test -bench BenchmarkStartSession.
bench-iam: testdeps
	$(GO) test ./internal/iam/ -run '^TestBenchIAMSimulate$$' -count=1 -v -iamsim.bench=true
