#!/bin/bash
# Docker HEALTHCHECK: healthy when /healthz answers 200. bash and its /dev/tcp only: it runs every
# few seconds, and a shell starts in a millisecond where a Python interpreter takes tens.
exec 3<>"/dev/tcp/127.0.0.1/${PORT:-8000}" 2>/dev/null || { echo "unhealthy: nothing listens on port ${PORT:-8000}"; exit 1; }
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\nUser-Agent: healthcheck\r\n\r\n' >&3
IFS= read -r -t 2 status <&3 || status=""
status=${status%$'\r'}
[[ $status == HTTP/*" 200 "* ]] && exit 0
echo "unhealthy: ${status:-no answer from /healthz}"
exit 1
