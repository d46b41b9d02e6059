#!/usr/bin/env bash
# The edge container's first process (Dockerfile's ENTRYPOINT): starts Debian's
# prometheus-nginx-exporter beside nginx, then becomes nginx.
#
# Swarm has no sidecars, so the exporter lives in the edge's container, and nginx stays its main
# process: `exec` makes nginx PID 1, so Docker's stop signal (SIGQUIT: finish what is in flight)
# reaches nginx itself, and the container lives exactly as long as nginx does. When PID 1 exits the
# kernel ends every other process of the container, so the exporter can never keep it up. Nor can
# the exporter die unseen: the loop below, left running as nginx's child, says so in the
# container's log and starts it again, while the monitor sees the edge's `up` at 0. A loop and not
# the health check, because a dead exporter is no reason to take the edge, which carries the
# traffic, out of service.
set -euo pipefail

# stub_status on loopback (nginx.conf), the exporter where the monitor looks for it
# (../monitor/prometheus.yml): tests/docker/test_edge.py keeps the three files agreeing.
readonly STATUS_PORT=8081 EXPORTER_ADDRESS=:9113

exporter() {
  local status
  while true; do
    # Bookworm's exporter (0.11) exits at once if nginx does not answer yet: wait until it does.
    until (exec 3<>"/dev/tcp/127.0.0.1/$STATUS_PORT") 2>/dev/null; do sleep 0.2; done
    # `--name=value` for every flag: Go's flag package (0.11, bookworm) reads that form as well as
    # kingpin (1.x, trixie and the official image) does. Only flags that both versions know.
    status=0
    prometheus-nginx-exporter \
      --nginx.scrape-uri="http://127.0.0.1:$STATUS_PORT/stub_status" \
      --web.listen-address="$EXPORTER_ADDRESS" \
      --web.telemetry-path=/metrics || status=$?
    echo "edge: prometheus-nginx-exporter exited with status $status; starting it again in 5 s" >&2
    sleep 5
  done
}

exporter &
exec /usr/sbin/nginx -e stderr -c /etc/nginx/edge.conf "$@"
