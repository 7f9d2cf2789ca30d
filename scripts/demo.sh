#!/usr/bin/env bash
# Quick start, command 1: set up this host and run the demo. Extra arguments go to `weir demo` (e.g. --keep).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
exec ./bin/weir demo "$@"
