#!/usr/bin/env bash
# Shared by the .ci/*-image.sh scripts, which each make one base image available and print its
# name on stdout (progress goes to stderr): the official image when present or pullable, else a
# stand-in built from Debian's packages (these CI machines reach no container registry).
# Sourced, not run, after the caller's `set -euo pipefail`; its log lines carry the caller's name.

NAME=$(basename "$0" .sh)

log() { printf '[ci/%s] %s\n' "$NAME" "$*" >&2; }

# present_or_pulled OFFICIAL STANDIN: when either is here already, or OFFICIAL can be pulled,
# print its name and exit the script; else return.
present_or_pulled() {
  local image
  for image in "$1" "$2"; do
    if docker image inspect "$image" >/dev/null 2>&1; then
      log "using $image (already present)"
      echo "$image"
      exit 0
    fi
  done
  if timeout 60 docker pull -q "$1" >/dev/null 2>&1; then
    log "pulled $1"
    echo "$1"
    exit 0
  fi
}

# debian_standin SUITE PACKAGES STANDIN CMD [ENV...]: a minimal Debian SUITE with PACKAGES (comma
# separated), imported as STANDIN with CMD and the ENV lines given; its name printed.
debian_standin() {
  local suite=$1 packages=$2 standin=$3 cmd=$4 mirror rootfs
  shift 4
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
  # shellcheck disable=SC2064 # the path is known now, and must be removed whatever happens
  trap "rm -rf '$rootfs'" EXIT
  log "debootstrap $suite from $mirror (about 40 s)"
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" \
    >"/tmp/debootstrap-$suite.log" 2>&1 \
    || { log "debootstrap failed; see /tmp/debootstrap-$suite.log"; tail -n 20 "/tmp/debootstrap-$suite.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # Downloads here pass through a TLS-intercepting proxy: the stand-in carries the host's CA
  # bundle, so that pip and apt inside a build reach their indexes.
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  local changes=(-c "CMD $cmd" -c 'ENV LANG=C.UTF-8')
  local env
  for env in "$@"; do changes+=(-c "ENV $env"); done
  tar -C "$rootfs" -c . | docker import "${changes[@]}" - "$standin" >/dev/null
  log "built $standin ($(docker image inspect -f '{{.Size}}' "$standin" | awk '{printf "%.0f MB", $1/1e6}'))"
  echo "$standin"
}

# package_standin DEBIAN_IMAGE PACKAGE STANDIN: DEBIAN_IMAGE with Debian's PACKAGE installed (no
# recommends), built as STANDIN; its name printed. Plain HTTP to Debian's mirror works from builds.
package_standin() {
  log "installing Debian's $2 on $1"
  docker build -t "$3" - >"/tmp/$NAME.log" 2>&1 <<DOCKERFILE \
    || { log "the build failed; see /tmp/$NAME.log"; tail -n 20 "/tmp/$NAME.log" >&2; exit 1; }
FROM $1
RUN apt-get update && apt-get install -y --no-install-recommends $2 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
  log "built $3"
  echo "$3"
}
