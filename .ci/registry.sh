#!/usr/bin/env bash
# Serve two container registries on loopback for the deploy checks, from Debian's docker-registry
# package (the registry API v2), and wait until both answer:
#   127.0.0.1:${OPEN_PORT}  open: what `inv push` and `inv deploy` use in CI (INVOKE_DOCKER_REGISTRY)
#   127.0.0.1:${AUTH_PORT}  htpasswd auth: proves a push without `docker login` fails in one line
# The engine trusts loopback registries over plain HTTP without any insecure-registry setting.
# CI plumbing: a developer points docker.registry at their team's registry instead.
set -euo pipefail

OPEN_PORT=${OPEN_PORT:-5001}
AUTH_PORT=${AUTH_PORT:-5002}
state=${REGISTRY_STATE:-/tmp/ci-registry}

log() { printf '[ci/registry] %s\n' "$*" >&2; }

answers() { python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v2/", timeout=2)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 401 else 1)  # the auth registry answers 401: it is up
except OSError:
    sys.exit(1)
PY
}

if answers "$OPEN_PORT" && answers "$AUTH_PORT"; then
  log "registries already answer on $OPEN_PORT and $AUTH_PORT"
  exit 0
fi

if ! command -v docker-registry >/dev/null 2>&1 || ! command -v htpasswd >/dev/null 2>&1; then
  log "installing Debian's docker-registry and apache2-utils (htpasswd)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends docker-registry apache2-utils >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends docker-registry apache2-utils >/dev/null; }
fi

mkdir -p "$state/open" "$state/auth"
htpasswd -Bbc "$state/htpasswd" ci "ci-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" 2>/dev/null

cat >"$state/open.yml" <<YML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $state/open}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$OPEN_PORT}
YML
cat >"$state/auth.yml" <<YML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $state/auth}
http: {addr: 127.0.0.1:$AUTH_PORT}
auth:
  htpasswd: {realm: ci, path: $state/htpasswd}
YML

for name in open auth; do
  log "starting the $name registry (log: $state/$name.log)"
  setsid docker-registry serve "$state/$name.yml" >"$state/$name.log" 2>&1 </dev/null &
done

for _ in $(seq 1 50); do
  if answers "$OPEN_PORT" && answers "$AUTH_PORT"; then
    log "registries answer: open on 127.0.0.1:$OPEN_PORT, htpasswd auth on 127.0.0.1:$AUTH_PORT"
    exit 0
  fi
  sleep 0.2
done
log "a registry did not answer within 10 s:"
tail -n 5 "$state"/*.log >&2 || true
exit 1
