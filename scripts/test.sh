#!/usr/bin/env bash
# Quick start, command 2: set up this host and run every check: type-check, lint, unit and real-OVS tests,
# then OpenStack's own API tests (tempest, neutron-tempest-plugin) against Keystone and weir server
# (npm run compat; ~10 min on 2 CPUs). The run's report goes to $WEIR_COMPAT_REPORT, outside the tree;
# docs/COMPATIBILITY.md is rewritten only by `npm run compat` itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WEIR_SETUP_TESTS=1 source scripts/setup.sh
npm test --silent
npm run --silent compat -- --report "${WEIR_COMPAT_REPORT:-${TMPDIR:-/tmp}/weir-compatibility.md}"
