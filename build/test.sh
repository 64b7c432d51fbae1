#!/usr/bin/env bash
# Compiles featherlb's sources and the JUnit tests under test/ with Java 25 and runs them with the
# JUnit Platform console launcher. Prints a closing line "N passed, N failed" and exits non-zero
# when a test fails or when no test ran. Optional arguments select test classes by name pattern
# (regular expressions for --include-classname), e.g.: bash build/test.sh '.*Maglev.*'
set -uo pipefail
cd "$(dirname "$0")/.."

JUNIT=org.junit.platform:junit-platform-console-standalone:6.0.1
# the test-only dependencies beside the ones featherlb.java declares
TEST_DEPS=${JUNIT}${FEATHERLB_TEST_DEPS:+,$FEATHERLB_TEST_DEPS}
out=target/test
rm -rf "$out" && mkdir -p "$out/classes"
bash build/peers.sh # real peers some tests talk to (redis-server); a test whose peer is missing skips

cp=$(./jbang info classpath --quiet --deps-only --deps "$TEST_DEPS" featherlb.java) || {
  echo "test: could not resolve the dependencies of featherlb.java" >&2; exit 2; }
java_home=$(./jbang jdk home 25 2>/dev/null | tail -1)
[[ -x $java_home/bin/javac ]] || { echo "test: no Java 25 JDK found" >&2; exit 2; }

mapfile -t sources < <(find . -path ./target -prune -o -path ./bench -prune -o -name '*.java' -print | grep -v -e '^./e2e.java$' -e '^./jbang' | sort)
"$java_home/bin/javac" -nowarn -encoding UTF-8 --release 25 -proc:none -d "$out/classes" -cp "$cp" "${sources[@]}" || {
  echo "0 passed, 1 failed (compilation failed)"; exit 1; }

filters=()
for pattern in "$@"; do filters+=(--include-classname "$pattern"); done
ulimit -n 65536 2>/dev/null || true
"$java_home/bin/java" -XX:+EnableDynamicAgentLoading -Djava.util.logging.config.file=build/test-logging.properties -cp "$out/classes:$cp" org.junit.platform.console.ConsoleLauncher execute \
  --scan-classpath "$out/classes" --fail-if-no-tests --disable-banner --disable-ansi-colors --details=tree \
  --config=junit.jupiter.execution.timeout.default=3m --config=junit.jupiter.execution.timeout.thread.mode.default=SEPARATE_THREAD \
  --reports-dir "$out/reports" "${filters[@]}" 2>&1 | tee "$out/console.log"
status=${PIPESTATUS[0]}

count() { sed -n "s/^\[ *\([0-9]*\) tests $1 *\]/\1/p" "$out/console.log" | tail -1; }
passed=$(count successful); failed=$(count failed)
echo "${passed:-0} passed, ${failed:-0} failed"
[[ ${passed:-0} -gt 0 ]] || { echo "test: no test ran" >&2; exit 1; }
exit "$status"
