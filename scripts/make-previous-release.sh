#!/usr/bin/env bash
# Makes test/fixtures/previous-release.tar.gz: the agent as the previous release shipped it (its protocol,
# its pipeline), for the compatibility test and the upgrade benchmark. Run once per release, from a git
# checkout; the test and the benchmark need only the tarball (and tar), not git.
#   bash scripts/make-previous-release.sh <commit>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
commit=${1:?usage: make-previous-release.sh <commit>}
git archive --prefix=weir/ "$commit" bin package.json src/base src/ovsdb src/openflow src/ovs src/protocol \
  src/agent src/cli | gzip -9n > test/fixtures/previous-release.tar.gz
echo "$commit" > test/fixtures/previous-release.commit
echo "wrote test/fixtures/previous-release.tar.gz from $(git log -1 --format='%h %s' "$commit")"
