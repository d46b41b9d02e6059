#!/usr/bin/env bash
# Make a Python base image available and print its name on stdout (progress goes to stderr).
#
# The official image when present or pullable. Where no registry answers (these CI machines),
# a stand-in built from Debian's packages: a minimal bookworm with python3 and venv, no compiler
# and no curl, like the official slim images. The project meets the stand-in only through its
# base-image setting (INVOKE_DOCKER_BASE_IMAGE -> build arg PYTHON_IMAGE).
set -euo pipefail
# shellcheck disable=SC1091 # .ci/images.sh, checked on its own
. "$(dirname "$0")/images.sh"

# The Dockerfile's own default, so that the two never disagree.
official=${1:-$(sed -n 's/^ARG PYTHON_IMAGE=//p' "$(dirname "$0")/../docker/Dockerfile")}
standin=${STANDIN_IMAGE:-ci-standin/python:3.11-bookworm}

present_or_pulled "$official" "$standin"
log "no registry answers for $official; building a stand-in from Debian's packages"
debian_standin bookworm python3,python3-venv,ca-certificates,python-is-python3 "$standin" '["python3"]' \
  PIP_CERT=/etc/ssl/certs/ca-certificates.crt
