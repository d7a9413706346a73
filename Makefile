# simgate. The two commands a newcomer needs: `make run` and `make test`.

GO        ?= go
BIN       := bin/simgate
ADDR      ?= 127.0.0.1:8080
DB        ?= data/simgate.db
GOFLAGS   ?=
FUZZTIME  ?= 30s
export GOFLAGS

.PHONY: all build run reset test test-postgres node-deps test-race check-generated generate vet fmt bench bench-store fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/simgate

# Serve the partner APIs with the sandbox inventory in ./data (loaded on the
# first start only; `make reset` deletes it to start again from the sandbox).
run: build
	@mkdir -p $(dir $(DB))
	./$(BIN) serve --addr $(ADDR) --db $(DB) --demo

reset:
	rm -f $(DB)

# The whole suite: generated bindings up to date, vet, then the tests with
# the race detector.
test: check-generated vet node-deps
	$(GO) test -race -count=1 ./...

# make test with a throwaway PostgreSQL cluster (.ci/postgres.sh), so that
# the PostgreSQL store's tests run too instead of being skipped.
test-postgres:
	@dir=$$(mktemp -d /tmp/simgate-pg.XXXXXX) && trap 'bash .ci/postgres.sh stop '"$$dir" EXIT && \
	eval "$$(bash .ci/postgres.sh start $$dir)" && $(MAKE) test

# The node soap client the WSDL interoperability test drives.
node-deps: testdata/clients/node/node_modules/.package-lock.json

testdata/clients/node/node_modules/.package-lock.json: testdata/clients/node/package-lock.json
	cd testdata/clients/node && npm ci --no-audit --no-fund --loglevel=error

# Regenerate the gowsdl bindings in wsdl/ from the WSDL files.
generate:
	$(GO) tool gowsdl -d wsdl -p services -o services.go wsdl/Services.wsdl >/dev/null
	$(GO) tool gowsdl -d wsdl -p authentication -o authentication.go wsdl/Authentication.wsdl >/dev/null
	gofmt -w wsdl

# Fails when the committed bindings differ from what gowsdl makes now.
check-generated:
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	$(GO) tool gowsdl -d $$tmp -p services -o services.go wsdl/Services.wsdl >/dev/null && \
	$(GO) tool gowsdl -d $$tmp -p authentication -o authentication.go wsdl/Authentication.wsdl >/dev/null && \
	gofmt -w $$tmp && \
	if ! diff -ru $$tmp/services wsdl/services || ! diff -ru $$tmp/authentication wsdl/authentication; then \
		echo "wsdl/ bindings are stale: run 'make generate' and commit the result" >&2; exit 1; fi

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed on:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

fmt:
	gofmt -w .

# Every API against a fresh server with a generated inventory, and the
# ceiling (see BENCHMARKS.md); BENCH_FLAGS="--sims 1000000" for the scale run.
BENCH_FLAGS ?=
bench: build
	./$(BIN) bench $(BENCH_FLAGS)

# Group-commit throughput for 1, 16 and 64 concurrent writers (fsync on).
bench-store:
	$(GO) test ./store -run '^$$' -bench GroupCommit -benchtime 2s -count 1

# Fuzz every decoder for FUZZTIME each, one after the other; failures land in <package>/testdata/fuzz/<target>/ (commit them).
fuzz:
	$(GO) test ./soap -run '^$$' -fuzz '^FuzzSOAP$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rest/jsonx -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rest/jsonx -run '^$$' -fuzz '^FuzzFill$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rest/jsonx -run '^$$' -fuzz '^FuzzFillKinds$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rest/jsonx -run '^$$' -fuzz '^FuzzLexValid$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rest/mvnx -run '^$$' -fuzz '^FuzzMVNX$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rest/sps -run '^$$' -fuzz '^FuzzSPSActivate$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rest/sps -run '^$$' -fuzz '^FuzzSPSStatus$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rest/flolive -run '^$$' -fuzz '^FuzzFloLIVE$$' -fuzztime $(FUZZTIME)
	$(GO) test ./rest/tmf -run '^$$' -fuzz '^FuzzTMF$$' -fuzztime $(FUZZTIME)
	$(GO) test ./store -run '^$$' -fuzz '^FuzzDecodeRecord$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf bin
