# featherlb: the everyday commands. Everything runs through ./jbang (an installed jbang, or one
# bootstrapped from Maven Central) with Java 25: JAVA_HOME when it holds 25+, else Temurin 25 in
# /usr/lib/jvm. See README.md and docs/development.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CONFIG ?= featherlb.yaml
E2E_ARGS ?=
BENCH_ARGS ?=
DEMO_ARGS ?=

.PHONY: help run demo validate test fuzz soak e2e bench aot image clean

# names may hold digits (e2e); test/launch/MakefileTest checks that every .PHONY target is listed
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## start featherlb with $(CONFIG)
	./jbang featherlb.java --config $(CONFIG)

demo: ## built-in backends, featherlb, a gentle load: prints the dashboard URL
	./jbang featherlb.java demo $(DEMO_ARGS)

validate: ## check $(CONFIG) and exit
	./jbang featherlb.java --config $(CONFIG) --validate

test: ## compile and run every JUnit test; prints "N passed, N failed"
	bash build/test.sh $(TESTS)

FUZZ_SECONDS ?= 120
FUZZ_TARGETS ?=
# Jazzer, coverage-guided, on the config loader, the admin API, the PROXY reader and the ClientHello
# parser (build/fuzz.sh), then the random and mutated inputs of the two parsers' own tests; make
# test replays the checked-in corpus (test/fuzz/corpus/) and a fixed count of those inputs
fuzz: ## coverage-guided fuzzing of the parsers, FUZZ_SECONDS per target
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash build/fuzz.sh $(FUZZ_TARGETS)
	FEATHERLB_FUZZ_SECONDS=$(FUZZ_SECONDS) bash build/test.sh '.*ProxyHeaderTest.*' '.*ClientHelloTest.*'

SOAK_SECONDS ?= 600
# the real command under mixed load, reloads and an endpoint's kills; then fds, threads, RSS and
# active connections against their baseline (soak/soak.java)
soak: ## mixed load, reloads, kills for SOAK_SECONDS; checks the process returns to baseline
	./jbang soak/soak.java --seconds $(SOAK_SECONDS)

e2e: ## end-to-end test in docker compose; writes test/e2e/runs/
	./jbang e2e.java $(E2E_ARGS)

# the AOT cache (JDK 25) goes beside jbang's cached jar, so ./jbang featherlb.java picks it up
aot: ## train an AOT cache: featherlb starts in about half the time
	bash build/aot.sh

# featherlb against HAProxy, nginx stream and a direct connection, then JMH on the algorithms
bench: ## featherlb vs HAProxy, nginx, direct, then JMH; bench/results/
	./jbang bench/bench.java $(BENCH_ARGS)
	./jbang bench/jmh.java $(BENCH_ARGS)

image: ## build the container image featherlb from the host-built jar
	./jbang export fatjar --force -O target/featherlb.jar featherlb.java
	docker build -t featherlb .

clean: ## remove build output
	rm -rf target
