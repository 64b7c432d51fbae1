# featherlb: the everyday commands. Everything runs through ./jbang (an installed jbang, or one
# bootstrapped from Maven Central) with Java 25: JAVA_HOME when it holds 25+, else Temurin 25 in
# /usr/lib/jvm. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CONFIG ?= featherlb.yaml
E2E_ARGS ?=
BENCH_ARGS ?=

.PHONY: help run validate test e2e bench aot image clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## start featherlb with $(CONFIG)
	./jbang featherlb.java --config $(CONFIG)

validate: ## check $(CONFIG) and exit
	./jbang featherlb.java --config $(CONFIG) --validate

test: ## compile and run every JUnit test; prints "N passed, N failed"
	bash build/test.sh $(TESTS)

e2e: ## docker compose end-to-end test; writes test/e2e/runs/<datetime>.log
	./jbang e2e.java $(E2E_ARGS)

aot: ## train an AOT cache (JDK 25) beside jbang's cached jar: ./jbang featherlb.java then starts in about half the time
	bash build/aot.sh

bench: ## featherlb vs HAProxy vs nginx vs direct, then JMH on the algorithms; writes bench/results/
	./jbang bench/bench.java $(BENCH_ARGS)
	./jbang bench/jmh.java $(BENCH_ARGS)

image: ## build the featherlb container image (tag featherlb) from the host-built jar
	./jbang export fatjar --force -O target/featherlb.jar featherlb.java
	docker build -t featherlb .

clean: ## remove build output
	rm -rf target
