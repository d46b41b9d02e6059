#!/usr/bin/env bash
# Make a Prometheus base image for the monitor (docker/monitor/) available and print its name on
# stdout (progress goes to stderr).
#
# The official image when present or pullable. Where no registry answers (these CI machines), a
# stand-in: the Debian image given with Debian's `prometheus` package (/usr/bin/prometheus and
# promtool, 2.42 on bookworm; without recommends, which would add the node exporter), which is
# what the monitor's Dockerfile must also build on. The project meets it only through its
# setting: INVOKE_DOCKER_MONITOR_BASE_IMAGE.
set -euo pipefail
# shellcheck disable=SC1091 # .ci/images.sh, checked on its own
. "$(dirname "$0")/images.sh"

debian=${1:?usage: monitor-base-image.sh DEBIAN_IMAGE (the image to install prometheus on)}
# The monitor Dockerfile's own default, so that the two never disagree.
official=$(sed -n 's/^ARG PROMETHEUS_IMAGE=//p' "$(dirname "$0")/../docker/monitor/Dockerfile")

standin=${MONITOR_STANDIN_IMAGE:-ci-standin/prometheus:bookworm}

present_or_pulled "$official" "$standin"
package_standin "$debian" prometheus "$standin"
