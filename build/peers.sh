#!/usr/bin/env bash
# Installs the Debian packages that tests use as real peers, when they are missing:
#   redis-server   send_expect health checks against a real redis (PING / +PONG)
# CI starts on a fresh machine, so build/test.sh runs this first. It needs root and apt-get; where
# either is missing, or the install fails, it says so and exits 0: the tests that need a missing
# peer skip with a message instead of failing. Quick when everything is there (a `command -v` each).
set -uo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "peers: ${missing[*]} not installed, and this needs root and apt-get to install; the tests that use them will be skipped" >&2
  exit 0
fi
echo "peers: installing ${missing[*]} (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/featherlb-peers.log 2>&1; }
# a fresh machine has no package lists yet: update only when the first try cannot find the package
install || { apt-get update -qq >>/tmp/featherlb-peers.log 2>&1; install; } || {
  echo "peers: could not install ${missing[*]} (see /tmp/featherlb-peers.log); the tests that use them will be skipped" >&2
}
exit 0
