#!/usr/bin/env bash
# Make an nginx base image for the edge (docker/edge/) available and print its name on stdout.
#
# The official image when present or pullable. Where no registry answers (these CI machines), a
# stand-in: the Debian image given (.ci/base-image.sh's) with Debian's nginx-light installed
# (/usr/sbin/nginx, /etc/nginx), which is what the edge's Dockerfile must also build on. The
# project meets it only through its setting: INVOKE_DOCKER_EDGE_BASE_IMAGE.
set -euo pipefail
# shellcheck disable=SC1091 # .ci/images.sh, checked on its own
. "$(dirname "$0")/images.sh"

debian=${1:?usage: edge-base-image.sh DEBIAN_IMAGE (the image to install nginx-light on)}
# The edge Dockerfile's own default, so that the two never disagree.
official=$(sed -n 's/^ARG NGINX_IMAGE=//p' "$(dirname "$0")/../docker/edge/Dockerfile")

standin=${EDGE_STANDIN_IMAGE:-ci-standin/nginx-light:bookworm}

present_or_pulled "$official" "$standin"
package_standin "$debian" nginx-light "$standin"
