#!/usr/bin/env bash
# Trains an ahead-of-time cache for featherlb (JDK 25: JEP 483 classes loaded and linked, JEP 514
# one-step -XX:AOTCacheOutput, JEP 515 method profiles) and puts it where featherlb.java's //CDS
# directive makes jbang look: featherlb.jsa beside the jar in jbang's cache. Every later
# `./jbang featherlb.java` then maps it and starts in about half the time.
#
# The training run serves a few real connections with no peer but itself: route "front" forwards
# to route "back", whose endpoint is a closed port, so accept, dial, retry, both pipes and the
# refusal path all run. A new build (changed sources, new cache folder) needs a new training;
# without one, jbang records a plain dynamic CDS archive at the first run's exit instead.
set -euo pipefail
cd "$(dirname "$0")/.."

./jbang build featherlb.java >/dev/null
info=$(./jbang info tools --quiet featherlb.java)
field() { sed -n "s/^ *\"$1\": *\"\(.*\)\",*\$/\1/p" <<<"$info"; }
array() { awk -v name="\"$1\"" '$1 == name":" {on = 1; next} on && /^ *\]/ {exit} on {gsub(/^ *"|",? *$/, ""); print}' <<<"$info"; }
jar=$(field applicationJar)
[[ -f $jar ]] || { echo "aot: cannot find featherlb's jar in jbang's cache" >&2; exit 1; }
cache=${jar%.jar}.jsa
# the command jbang runs, without the CDS option it adds: the training writes the cache itself
mapfile -t options < <(array runtimeOptions)
classpath=$(printf '%s:' "$jar" $(array resolvedDependencies)); classpath=${classpath%:}
java=$(field availableJdkPath)/bin/java

free_port() { # a port that nothing answers on now (bash cannot bind port 0 to ask the kernel)
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[[ -n ${AOT_KEEP:-} ]] && trap - EXIT

# one training run; fails (and is tried again on other ports) when featherlb does not come up
train() {
  local front back closed pid
  front=$(free_port); back=$(free_port); closed=$(free_port)
  [[ $front != "$back" && $back != "$closed" && $front != "$closed" ]] || return 1
  cat >"$work/train.yaml" <<YAML
routes:
  - {name: front, host: 127.0.0.1, port: $front, strategy: roundrobin, endpoints: [{host: 127.0.0.1, port: $back}]}
  - {name: back, host: 127.0.0.1, port: $back, strategy: roundrobin, retries: 1, endpoints: [{host: 127.0.0.1, port: $closed}]}
YAML
  rm -f "$cache"
  "$java" "${options[@]}" -XX:AOTCacheOutput="$cache" -classpath "$classpath" "$(field mainClass)" \
    --config "$work/train.yaml" >"$work/train.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    (exec 3<>/dev/tcp/127.0.0.1/$front) 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  for _ in $(seq 200); do
    (exec 3<>/dev/tcp/127.0.0.1/$front && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && cat <&3 >/dev/null) 2>/dev/null || true
  done
  kill -TERM "$pid" 2>/dev/null || return 1
  wait "$pid" || true
  [[ -s $cache ]]
}

for attempt in 1 2 3; do
  train && break
  echo "aot: training run $attempt failed; its log:" >&2
  cat "$work/train.log" >&2 2>/dev/null || true
done
if [[ ! -s $cache ]]; then
  echo "aot: no cache written" >&2
  exit 1
fi
echo "aot: wrote $cache ($(du -h "$cache" | cut -f1))"
