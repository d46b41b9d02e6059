#!/usr/bin/env bash
# Make sure a Docker engine answers: install Debian's engine and start it when none does.
# CI plumbing for machines that ship only the docker CLI; a developer's Docker Desktop or
# stock Engine never reaches the install step.
set -euo pipefail

log() { printf '[ci/engine] %s\n' "$*"; }

if timeout 10 docker info >/dev/null 2>&1; then
  log "engine already answers: $(docker version --format '{{.Server.Version}}')"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "no engine here; installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's package ships its own CLI; the one already on PATH (/usr/local/bin) stays first.
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

log "starting dockerd (log: /tmp/dockerd.log)"
setsid dockerd >/tmp/dockerd.log 2>&1 < /dev/null &

for _ in $(seq 1 60); do
  if timeout 5 docker info >/dev/null 2>&1; then
    log "engine answers: $(docker version --format '{{.Server.Version}}')"
    exit 0
  fi
  sleep 1
done

log "dockerd did not answer within 60 s; last lines of its log:"
tail -n 20 /tmp/dockerd.log >&2 || true
exit 1
