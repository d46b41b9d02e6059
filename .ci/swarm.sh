#!/usr/bin/env bash
# Make this engine a one-node swarm manager, for the deploy checks. CI plumbing: a developer
# runs `docker swarm init` once (docs/deploying.md), or points docker.manager at a
# manager of their team's swarm.
set -euo pipefail

log() { printf '[ci/swarm] %s\n' "$*" >&2; }

state=$(docker info --format '{{.Swarm.LocalNodeState}}')
if [ "$state" = active ]; then
  log "already a swarm node (manager: $(docker info --format '{{.Swarm.ControlAvailable}}'))"
  exit 0
fi
docker swarm init --advertise-addr 127.0.0.1 >/dev/null
log "one-node swarm started (leave it with: docker swarm leave --force)"
