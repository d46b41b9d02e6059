#!/usr/bin/env bash
# Make an nginx base image for the edge (docker/edge/) available and print its name on stdout.
#
# Pulls the official image when a registry answers. Where none does (these CI machines), builds
# a stand-in: the Debian stand-in of .ci/base-image.sh with Debian's nginx-light installed
# (/usr/sbin/nginx, /etc/nginx), which is what the edge's Dockerfile must also build on. The
# project meets it only through its setting: INVOKE_DOCKER_EDGE_BASE_IMAGE.
set -euo pipefail

debian=${1:?usage: edge-base-image.sh DEBIAN_IMAGE (the image to install nginx-light on)}
# The edge Dockerfile's own default, so that the two never disagree.
official=$(sed -n 's/^ARG NGINX_IMAGE=//p' "$(dirname "$0")/../docker/edge/Dockerfile")
standin=${EDGE_STANDIN_IMAGE:-ci-standin/nginx-light:bookworm}

log() { printf '[ci/edge-base-image] %s\n' "$*" >&2; }

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
log "no registry answers for $official; installing Debian's nginx-light on $debian"
# Plain HTTP to Debian's mirror works from builds here; the Dockerfile comes on stdin.
docker build -t "$standin" - >/tmp/edge-base-image.log 2>&1 <<DOCKERFILE \
  || { log "the build failed; see /tmp/edge-base-image.log"; tail -n 20 /tmp/edge-base-image.log >&2; exit 1; }
FROM $debian
RUN apt-get update && apt-get install -y --no-install-recommends nginx-light && rm -rf /var/lib/apt/lists/*
DOCKERFILE
log "built $standin"
echo "$standin"
