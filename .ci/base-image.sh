#!/usr/bin/env bash
# Make a Python base image available and print its name on stdout (progress goes to stderr).
#
# Pulls the official image when a registry answers. Where none does (these CI machines have no
# registry), builds a stand-in from Debian's packages: a minimal bookworm with python3 and venv,
# no compiler and no curl, like the official slim images. The project meets the stand-in only
# through its base-image setting (INVOKE_DOCKER_BASE_IMAGE -> build arg PYTHON_IMAGE).
set -euo pipefail

# The Dockerfile's own default, so that the two never disagree.
official=${1:-$(sed -n 's/^ARG PYTHON_IMAGE=//p' "$(dirname "$0")/../docker/Dockerfile")}
standin=${STANDIN_IMAGE:-ci-standin/python:3.11-bookworm}

log() { printf '[ci/base-image] %s\n' "$*" >&2; }

if docker image inspect "$official" >/dev/null 2>&1; then
  log "using $official (already present)"
  echo "$official"
  exit 0
fi
if timeout 60 docker pull -q "$official" >/dev/null 2>&1; then
  log "pulled $official"
  echo "$official"
  exit 0
fi
log "no registry answers for $official; using a stand-in built from Debian's packages"

if docker image inspect "$standin" >/dev/null 2>&1; then
  log "stand-in $standin already present"
  echo "$standin"
  exit 0
fi

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

log "debootstrap bookworm from $mirror (about 40 s)"
debootstrap --variant=minbase \
  --include=python3,python3-venv,ca-certificates,python-is-python3 \
  bookworm "$rootfs" "$mirror" >/tmp/debootstrap.log 2>&1 \
  || { log "debootstrap failed; see /tmp/debootstrap.log"; tail -n 20 /tmp/debootstrap.log >&2; exit 1; }

rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
# Downloads here pass through a TLS-intercepting proxy: the stand-in carries the host's CA bundle
# so that pip inside a build reaches PyPI.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"

tar -C "$rootfs" -c . | docker import \
  -c 'CMD ["python3"]' \
  -c 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  -c 'ENV LANG=C.UTF-8' \
  - "$standin" >/dev/null
log "built $standin ($(docker image inspect -f '{{.Size}}' "$standin" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$standin"
