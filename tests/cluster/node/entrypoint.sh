#!/bin/sh
# A cluster node's start: sshd with the run's key, the registry forward when asked, then dockerd
# in the foreground (its log is the container's log; docker-init, from `docker run --init`, is PID 1).
#   NODE_NAME           the container's name: the inner engine's cgroup parent (/NODE_NAME), so
#                       that the nodes' containers never share the host's cgroup tree
#   SSH_AUTHORIZED_KEY  the public key the host logs in with
#   REGISTRY_PORT, REGISTRY_GATEWAY   forward 127.0.0.1:PORT here to GATEWAY:PORT, where the host
#                       serves the run's registry: one name, 127.0.0.1:PORT, on the host and every node
set -eu

: "${NODE_NAME:?NODE_NAME must name this node}"
: "${SSH_AUTHORIZED_KEY:?SSH_AUTHORIZED_KEY must hold the public key the host logs in with}"

printf '%s\n' "$SSH_AUTHORIZED_KEY" >/root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
ssh-keygen -A >/dev/null
mkdir -p /run/sshd
/usr/sbin/sshd -E /var/log/sshd.log

if [ -n "${REGISTRY_PORT:-}" ]; then
  : "${REGISTRY_GATEWAY:?REGISTRY_GATEWAY must name the host's address on the nodes' network}"
  socat "TCP-LISTEN:$REGISTRY_PORT,fork,reuseaddr,bind=127.0.0.1" "TCP:$REGISTRY_GATEWAY:$REGISTRY_PORT" \
    >/var/log/registry-forward.log 2>&1 &
fi

exec dockerd --cgroup-parent="/$NODE_NAME" --data-root=/var/lib/docker
