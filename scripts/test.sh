#!/usr/bin/env bash
# Quick start, command 2: set up this host and run every check: type-check, lint, unit and real-OVS tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WEIR_SETUP_TESTS=1 source scripts/setup.sh
exec npm test --silent
