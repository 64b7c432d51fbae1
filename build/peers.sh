#!/usr/bin/env bash
# Installs the Debian packages that featherlb's tests use as real peers, when they are missing:
# chromium, chromium-driver and a font for the dashboard's browser test and its screenshot;
# redis-server for the send_expect health check test (PING / +PONG); openssl (s_server, s_client)
# and curl for the SNI routing tests; haproxy and nginx for the PROXY protocol tests
# (test/proxy/ProxyPeersTest: they log the client featherlb's header names, HAProxy sends one to
# featherlb). Safe to run again: installed
# packages are left alone. Needs root (CI runs as root on a fresh machine) and Debian's apt.
# Exits 0 when everything is there afterwards, 1 when something could not be installed (the tests
# that need it then skip with a message saying so).
set -uo pipefail

packages=(chromium chromium-driver fonts-dejavu-core redis-server openssl curl haproxy nginx
  dnsmasq-base dnsutils dnsperf knot knot-dnsutils unbound dnsdist socat nftables iproute2 nghttp2-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "peers: apt-get not found; install ${missing[*]} by hand" >&2; exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    echo "peers: not root and no password-less sudo; install ${missing[*]} by hand" >&2; exit 1
  fi
fi
echo "peers: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2 || echo "peers: apt-get update failed; trying the install anyway" >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || {
  echo "peers: could not install ${missing[*]}" >&2; exit 1; }
