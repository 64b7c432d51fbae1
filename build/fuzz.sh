#!/usr/bin/env bash
# Coverage-guided fuzzing with Jazzer (com.code-intelligence:jazzer, Apache-2.0), its standalone
# driver: each target (a class with fuzzerTestOneInput(byte[]) under test/) for FUZZ_SECONDS,
# starting from its checked-in corpus test/fuzz/corpus/<name>/. What it learns goes to
# target/fuzz/corpus/<name>/, a finding to target/fuzz/findings/<name>/ (the input, and a Java
# reproducer); exits non-zero when a target found something. Arguments pick targets by name.
#
# Jazzer 0.24.0's instrumentation (a shaded ASM) reads class files up to Java 23 (major 67), not
# Java 25's: the sources are compiled here with --release 23 (featherlb uses no language feature
# newer), for the Java 25 JVM. See docs/development.md#fuzzing.
set -uo pipefail
cd "$(dirname "$0")/.."

JAZZER=com.code-intelligence:jazzer:0.24.0,com.code-intelligence:jazzer-api:0.24.0
# name under test/fuzz/corpus/ = the target class (fuzz.CorpusTest lists the same)
declare -A TARGETS=([config]=config.ConfigFuzzer [admin]=admin.AdminFuzzer
  [proxyheader]=proxyproto.ProxyHeaderFuzzer [clienthello]=tls.ClientHelloFuzzer)
seconds=${FUZZ_SECONDS:-120}
names=("$@"); [[ ${#names[@]} -gt 0 ]] || names=(config admin proxyheader clienthello)
out=target/fuzz
rm -rf "$out/classes" && mkdir -p "$out/classes"

cp=$(./jbang info classpath --quiet --deps-only --deps "$JAZZER" featherlb.java) || {
  echo "fuzz: could not resolve the dependencies of featherlb.java and Jazzer" >&2; exit 2; }
java_home=$(./jbang jdk home 25 2>/dev/null | tail -1)
[[ -x $java_home/bin/javac ]] || { echo "fuzz: no Java 25 JDK found" >&2; exit 2; }

mapfile -t sources < <({ sed -n 's|^//SOURCES ||p' featherlb.java | tr ' ' '\n'; echo featherlb.java
  find test -name '*Fuzzer.java'; echo test/admin/InProcessExchange.java; } | grep . | sort -u)
"$java_home/bin/javac" -nowarn -encoding UTF-8 --release 23 -proc:none -d "$out/classes" -cp "$cp" "${sources[@]}" || {
  echo "fuzz: compilation failed" >&2; exit 1; }
for entry in $(sed -n 's|^//FILES ||p' featherlb.java); do
  mkdir -p "$out/classes/$(dirname "${entry%%=*}")" && cp "${entry#*=}" "$out/classes/${entry%%=*}"
done

failed=()
for name in "${names[@]}"; do
  class=${TARGETS[$name]:-}
  [[ -n $class ]] || { echo "fuzz: no target $name (targets: ${!TARGETS[*]})" >&2; exit 2; }
  mkdir -p "$out/corpus/$name" "$out/findings/$name"
  echo "fuzz: $name ($class) for $seconds s; corpus $out/corpus/$name, findings $out/findings/$name"
  # -timeout: an input that takes more than 10 s is a hang, a finding; -rss_limit_mb: the JVM with
  # Jazzer's agent alone takes ~900 MB resident here, so libFuzzer's 2 GB default is too near
  "$java_home/bin/java" -Xmx1g -XX:+EnableDynamicAgentLoading -Djava.util.logging.config.file=build/test-logging.properties \
    -cp "$out/classes:$cp" com.code_intelligence.jazzer.Jazzer --target_class="$class" \
    --reproducer_path="$out/findings/$name" -artifact_prefix="$out/findings/$name/" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    "$out/corpus/$name" "test/fuzz/corpus/$name" > "$out/$name.log" 2>&1
  status=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|== Java Exception|==[0-9]+== ERROR)' "$out/$name.log" | sed "s/^/fuzz: $name: /"
  if [[ $status -ne 0 ]]; then
    failed+=("$name"); echo "fuzz: $name FOUND something (exit $status): $out/$name.log, $out/findings/$name/" >&2
  fi
done
[[ ${#failed[@]} -eq 0 ]] || { echo "fuzz: findings in ${failed[*]}" >&2; exit 1; }
echo "fuzz: ${names[*]}: no finding in $seconds s each"
