#!/usr/bin/env bash
# Make a Debian trixie base image available and print its name on stdout (progress goes to stderr).
#
# The test cluster's nodes (tests/cluster/node/) are built on it: trixie's docker.io is Engine 26,
# where bookworm's is 20.10. The official image when present or pullable; where no registry
# answers (these CI machines), a minimal trixie stand-in from Debian's packages. The project meets
# the stand-in only through CLUSTER_NODE_BASE_IMAGE (build arg DEBIAN_IMAGE of the node image).
set -euo pipefail
# shellcheck disable=SC1091 # .ci/images.sh, checked on its own
. "$(dirname "$0")/images.sh"

# The node Dockerfile's own default, so that the two never disagree.
official=${1:-$(sed -n 's/^ARG DEBIAN_IMAGE=//p' "$(dirname "$0")/../tests/cluster/node/Dockerfile")}
standin=${TRIXIE_STANDIN_IMAGE:-ci-standin/debian:trixie}

present_or_pulled "$official" "$standin"
log "no registry answers for $official; building a stand-in from Debian's packages"
debian_standin trixie ca-certificates "$standin" '["bash"]'
