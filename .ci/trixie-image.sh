#!/usr/bin/env bash
# Make a Debian trixie base image available and print its name on stdout (progress goes to stderr).
#
# The test cluster's nodes (tests/cluster/node/) are built on it: trixie's docker.io is Engine 26,
# where bookworm's is 20.10. Uses the official image when present or pullable. Where no registry
# answers (these CI machines), builds a minimal trixie stand-in from Debian's packages, with the
# host's CA bundle as .ci/base-image.sh does. The project meets the stand-in only through
# CLUSTER_NODE_BASE_IMAGE (build arg DEBIAN_IMAGE of the node image).
set -euo pipefail

# The node Dockerfile's own default, so that the two never disagree.
official=${1:-$(sed -n 's/^ARG DEBIAN_IMAGE=//p' "$(dirname "$0")/../tests/cluster/node/Dockerfile")}
standin=${TRIXIE_STANDIN_IMAGE:-ci-standin/debian:trixie}

log() { printf '[ci/trixie-image] %s\n' "$*" >&2; }

for image in "$official" "$standin"; do
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "using $image (already present)"
    echo "$image"
    exit 0
  fi
done
if timeout 60 docker pull -q "$official" >/dev/null 2>&1; then
  log "pulled $official"
  echo "$official"
  exit 0
fi
log "no registry answers for $official; building a stand-in from Debian's packages"

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# The mirror this machine's own apt sources use (deb822 or one-line format).
mirror=$(grep -rhoE '^(URIs:|deb)[[:space:]]+http[^[:space:]]*/debian/?([[:space:]]|$)' \
  /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | awk '{print $2}' | head -n 1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

rootfs=$(mktemp -d /tmp/standin-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

log "debootstrap trixie from $mirror (about 30 s)"
debootstrap --variant=minbase --include=ca-certificates \
  trixie "$rootfs" "$mirror" >/tmp/debootstrap-trixie.log 2>&1 \
  || { log "debootstrap failed; see /tmp/debootstrap-trixie.log"; tail -n 20 /tmp/debootstrap-trixie.log >&2; exit 1; }

rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
# Downloads here pass through a TLS-intercepting proxy: the stand-in carries the host's CA bundle.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"

tar -C "$rootfs" -c . | docker import \
  -c 'CMD ["bash"]' \
  -c 'ENV LANG=C.UTF-8' \
  - "$standin" >/dev/null
log "built $standin ($(docker image inspect -f '{{.Size}}' "$standin" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$standin"
