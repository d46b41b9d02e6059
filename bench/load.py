"""A bounded HTTP load generator: N connections hammer one URL for S seconds, then it reports.

    python -m bench.load http://127.0.0.1:5000/test --connections 64 --seconds 20 [--rate 800]

Runs as a process of its own (so it does not share an interpreter with what it measures), speaks
plain HTTP/1.1 over asyncio streams, reconnects when the server closes (gunicorn's sync workers
close after every response), and prints one JSON object: requests, errors, statuses, rate and
latency percentiles. Loopback only: it refuses any other host.

Every request to a sync worker costs two fresh TCP connections when Docker's userland proxy
publishes the port, and each leaves a socket in TIME_WAIT for a minute. A saturating run can use
up the ephemeral ports towards the container and slows whatever runs next. Hence ``--rate``, a
fixed offered load for tests, and ``--settle``, which waits for TIME_WAIT to drain first.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_SECONDS = 300
MAX_CONNECTIONS = 512


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    failed_by_client: Counter[int] = field(default_factory=Counter)  # socket errors and non-2xx, per connection


def loopback_only(host: str) -> str:
    address = ipaddress.ip_address(socket.gethostbyname(host))
    if not address.is_loopback:
        raise SystemExit(f"load: {host} is not a loopback address; this tool only loads this machine")
    return str(address)


async def _one_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bool]:
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("closed before answering")
    status = int(status_line.split()[1])
    length, keep_alive = 0, True
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and value.strip().lower() == "close":
            keep_alive = False
    await reader.readexactly(length)
    return status, keep_alive


class Pacer:
    """Spaces requests across all connections to ``rate`` per second (0: as fast as answered)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate if rate else 0.0
        self.next = time.monotonic()

    async def wait(self, deadline: float) -> bool:
        """Wait for this connection's next slot; False when that falls past ``deadline``."""
        if not self.interval:
            return True
        slot = max(self.next, time.monotonic())
        if slot >= deadline:
            return False
        self.next = slot + self.interval
        await asyncio.sleep(slot - time.monotonic())
        return True


def timewait_sockets() -> int:
    """Sockets in TIME_WAIT on this machine (0 where /proc does not tell)."""
    try:
        with open("/proc/net/sockstat") as stats:
            for line in stats:
                if line.startswith("TCP:"):
                    fields = line.split()
                    return int(fields[fields.index("tw") + 1])
    except (OSError, ValueError):
        pass
    return 0


def settle(limit: int, timeout: float) -> None:
    """Wait until fewer than ``limit`` sockets are in TIME_WAIT, or ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (waiting := timewait_sockets()) >= limit and time.monotonic() < deadline:
        print(f"load: waiting for {waiting} TIME_WAIT sockets to drain", file=sys.stderr, flush=True)
        time.sleep(5)


async def _connection(
    host: str,
    port: int,
    request: bytes,
    deadline: float,
    tally: Tally,
    pacer: Pacer,
    stop: threading.Event | None,
    timeout: float,
    client: int = 0,
) -> None:
    """One client: a request at a time, each given up after ``timeout`` seconds (connecting included)."""
    reader = writer = None
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        if not await pacer.wait(deadline):
            break
        started = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), min(10, timeout))
            assert reader is not None and writer is not None
            left = max(timeout - (time.monotonic() - started), 0.001)
            status, keep_alive = await asyncio.wait_for(_one_request(reader, writer, request), left)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
            tally.errors[type(error).__name__] += 1
            tally.failed_by_client[client] += 1
            keep_alive = False
            status = 0
        else:
            tally.latencies.append(time.monotonic() - started)
            tally.statuses[status] += 1
            if not 200 <= status < 300:
                tally.failed_by_client[client] += 1
        if not keep_alive and writer is not None:
            writer.close()
            reader = writer = None
        if status == 0:
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(
    url: str,
    connections: int,
    seconds: float,
    rate: float = 0,
    *,
    new_connections: bool = False,
    stop: threading.Event | None = None,
    timeout: float = 30,
) -> dict[str, object]:
    """Load ``url`` for ``seconds`` (or until ``stop`` is set); ``new_connections`` opens one per
    request (``Connection: close``), as clients that never reuse one do. Nothing is retried."""
    parts = urlsplit(url)
    host = loopback_only(parts.hostname or "127.0.0.1")
    port = parts.port or 80
    path = parts.path or "/"
    close = "Connection: close\r\n" if new_connections else ""
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: bench.load\r\n{close}\r\n".encode()
    tally = Tally()
    pacer = Pacer(rate)
    started = time.monotonic()
    deadline = started + seconds
    clients = (_connection(host, port, request, deadline, tally, pacer, stop, timeout, n) for n in range(connections))
    await asyncio.gather(*clients)
    elapsed = time.monotonic() - started
    answered = sum(tally.statuses.values())
    return {
        "url": url,
        "connections": connections,
        "offered_rate": rate or "unbounded",
        "seconds": round(elapsed, 2),
        "requests": answered,
        "requests_per_second": round(answered / elapsed, 1),
        "non_2xx": sum(n for status, n in tally.statuses.items() if not 200 <= status < 300),
        "socket_errors": sum(tally.errors.values()),
        "worst_client_failed": max(tally.failed_by_client.values(), default=0),
        "errors": dict(tally.errors),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "p50_ms": round(percentile(tally.latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(tally.latencies, 0.99) * 1000, 2),
    }


def measure(url: str, connections: int, seconds: float, *, rate: float = 0, settle: float = 0) -> dict[str, Any]:
    """Run this load generator in a process of its own and return its figures."""
    command = [sys.executable, "-m", "bench.load", url, "--connections", str(connections), "--seconds", str(seconds)]
    command += ["--rate", str(rate), "--settle", str(settle)]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True, timeout=seconds + settle + 120)
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=0, help="requests per second in all (0: unbounded)")
    parser.add_argument("--settle", type=float, default=0, help="first wait up to this long for TIME_WAIT to drain")
    args = parser.parse_args(argv)
    if not 1 <= args.connections <= MAX_CONNECTIONS or not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"connections must be 1-{MAX_CONNECTIONS} and seconds 0-{MAX_SECONDS}")
    if args.settle:
        settle(limit=2000, timeout=args.settle)
    print(json.dumps(asyncio.run(run(args.url, args.connections, args.seconds, args.rate))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
