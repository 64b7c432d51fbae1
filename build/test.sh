#!/usr/bin/env bash
# Compiles featherlb's sources and the JUnit tests under test/ with Java 25 and runs them with the
# JUnit Platform console launcher. Prints a closing line "N passed, N failed" and exits non-zero
# when a test fails or when no test ran. Optional arguments select test classes by name pattern
# (regular expressions for --include-classname), e.g.: bash build/test.sh '.*Maglev.*'
set -uo pipefail
cd "$(dirname "$0")/.."

JUNIT=org.junit.platform:junit-platform-console-standalone:6.0.1
# Selenium drives Debian's chromium through /usr/bin/chromedriver in the dashboard's browser test
SELENIUM=org.seleniumhq.selenium:selenium-chrome-driver:4.52.0,org.seleniumhq.selenium:selenium-support:4.52.0
# validates featherlb.yaml and the docs' configs against featherlb.schema.json (Apache-2.0)
SCHEMA_VALIDATOR=com.networknt:json-schema-validator:3.0.9
# the test-only dependencies beside the ones featherlb.java declares
TEST_DEPS=${JUNIT},${SELENIUM},${SCHEMA_VALIDATOR}${FEATHERLB_TEST_DEPS:+,$FEATHERLB_TEST_DEPS}
out=target/test
rm -rf "$out" && mkdir -p "$out/classes"

cp=$(./jbang info classpath --quiet --deps-only --deps "$TEST_DEPS" featherlb.java) || {
  echo "test: could not resolve the dependencies of featherlb.java" >&2; exit 2; }
java_home=$(./jbang jdk home 25 2>/dev/null | tail -1)
[[ -x $java_home/bin/javac ]] || { echo "test: no Java 25 JDK found" >&2; exit 2; }

mapfile -t sources < <(find . -path ./target -prune -o -path ./bench -prune -o -path ./soak -prune -o -name '*.java' -print | grep -v -e '^./e2e.java$' -e '^./jbang' | sort)
"$java_home/bin/javac" -nowarn -encoding UTF-8 --release 25 -proc:none -d "$out/classes" -cp "$cp" "${sources[@]}" || {
  echo "0 passed, 1 failed (compilation failed)"; exit 1; }

# the files jbang puts on the classpath from featherlb.java's //FILES lines (target[=source])
for entry in $(sed -n 's|^//FILES ||p' featherlb.java); do
  mkdir -p "$out/classes/$(dirname "${entry%%=*}")" && cp "${entry#*=}" "$out/classes/${entry%%=*}" || {
    echo "0 passed, 1 failed (//FILES $entry not found)"; exit 1; }
done

# real peers from Debian (chromium for the dashboard test, redis-server for a health check test); tests that need a missing one skip
[[ -n ${FEATHERLB_NO_PEERS:-} ]] || bash build/peers.sh || echo "test: some peers could not be installed; their tests will skip" >&2

filters=()
for pattern in "$@"; do filters+=(--include-classname "$pattern"); done
ulimit -n 65536 2>/dev/null || true
"$java_home/bin/java" -XX:+EnableDynamicAgentLoading --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -Djava.util.logging.config.file=build/test-logging.properties -cp "$out/classes:$cp" org.junit.platform.console.ConsoleLauncher execute \
  --scan-classpath "$out/classes" --fail-if-no-tests --disable-banner --disable-ansi-colors --details=tree \
  --config=junit.jupiter.execution.timeout.default=3m --config=junit.jupiter.execution.timeout.thread.mode.default=SEPARATE_THREAD \
  --reports-dir "$out/reports" "${filters[@]}" 2>&1 | tee "$out/console.log"
status=${PIPESTATUS[0]}

count() { sed -n "s/^\[ *\([0-9]*\) tests $1 *\]/\1/p" "$out/console.log" | tail -1; }
passed=$(count successful); failed=$(count failed)
echo "${passed:-0} passed, ${failed:-0} failed"
[[ ${passed:-0} -gt 0 ]] || { echo "test: no test ran" >&2; exit 1; }
exit "$status"
