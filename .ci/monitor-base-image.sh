#!/usr/bin/env bash
# Make a Prometheus base image for the monitor (docker/monitor/) available and print its name on
# stdout (progress goes to stderr).
#
# Pulls the official image when a registry answers. Where none does (these CI machines), builds
# a stand-in: the Debian stand-in of .ci/base-image.sh with Debian's `prometheus` package installed
# (/usr/bin/prometheus and promtool, 2.42 on bookworm), which is what the monitor's Dockerfile
# must also build on. The project meets it only through its setting:
# INVOKE_DOCKER_MONITOR_BASE_IMAGE.
set -euo pipefail

debian=${1:?usage: monitor-base-image.sh DEBIAN_IMAGE (the image to install prometheus on)}
# The monitor Dockerfile's own default, so that the two never disagree.
official=$(sed -n 's/^ARG PROMETHEUS_IMAGE=//p' "$(dirname "$0")/../docker/monitor/Dockerfile")
standin=${MONITOR_STANDIN_IMAGE:-ci-standin/prometheus:bookworm}

log() { printf '[ci/monitor-base-image] %s\n' "$*" >&2; }

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
log "no registry answers for $official; installing Debian's prometheus on $debian"
# Plain HTTP to Debian's mirror works from builds here; the Dockerfile comes on stdin. Without
# recommends: they would add the node exporter, which the monitor does not run.
docker build -t "$standin" - >/tmp/monitor-base-image.log 2>&1 <<DOCKERFILE \
  || { log "the build failed; see /tmp/monitor-base-image.log"; tail -n 20 /tmp/monitor-base-image.log >&2; exit 1; }
FROM $debian
RUN apt-get update && apt-get install -y --no-install-recommends prometheus && rm -rf /var/lib/apt/lists/*
DOCKERFILE
log "built $standin"
echo "$standin"
