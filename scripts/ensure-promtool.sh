#!/usr/bin/env bash
# Puts promtool (Prometheus's rule checker and rule unit-test runner) into .cache/promtool/ of this
# checkout, for the alert-rule unit tests. It is extracted from Debian's prometheus package rather
# than installed: installing the package would start a Prometheus server on the controller.
# Idempotent: does nothing when the binary is already there. PROMTOOL=/path overrides it entirely.
# npm runs it before `npm test` (package.json's pretest).
set -euo pipefail

cd "$(dirname "$0")/.."
dest=.cache/promtool
bin="$dest/promtool"

if [ -n "${PROMTOOL:-}" ] || [ -x "$bin" ]; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

deb=$(ls /var/cache/apt/archives/prometheus_*.deb 2>/dev/null | tail -n 1 || true)
if [ -z "$deb" ]; then
  # A fresh machine may have no package lists yet: read them once, then try again.
  (cd "$work" && apt-get download prometheus >&2) || { apt-get update -q >&2 && (cd "$work" && apt-get download prometheus >&2); } || {
    echo "ensure-promtool: 'apt-get download prometheus' failed: as root, run apt-get update and try again, or set PROMTOOL=/path/to/promtool" >&2
    exit 1
  }
  deb=$(ls "$work"/prometheus_*.deb | tail -n 1)
fi

dpkg-deb -x "$deb" "$work/root"
mkdir -p "$dest"
install -m 0755 "$work/root/usr/bin/promtool" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "ensure-promtool: $("$bin" --version 2>&1 | head -n 1)" >&2
