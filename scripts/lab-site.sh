#!/usr/bin/env bash
# The main job on the built-in local lab, from a fresh checkout: install the pinned dependencies,
# start the lab (Docker engine, host image, three Debian 13 hosts with systemd + sshd, an ACME test
# server), provision the whole site with playbooks/site.ts, then print proof that it works.
# Safe to run again: the lab is kept, and a second provisioning run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

shipshape() { node bin/shipshape.js "$@"; }

shipshape lab up
shipshape apply playbooks/site.ts -i inventory/lab.ts
shipshape lab proof
