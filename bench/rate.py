"""An open-loop HTTP load generator: requests sent at a fixed rate, whatever the server does, and
each one's latency counted from when it was due, not from when it could be sent.

    python -m bench.rate http://127.0.0.1:8000/test --rate 1000 --seconds 8

Why our own: Debian has no wrk2, vegeta or k6, and `hey -q` (like wrk) is closed-loop: each worker
waits for its answer before it sends the next, so a stall delays the requests that should have gone
out meanwhile, and their waiting is never measured (coordinated omission: the p99 looks better the
worse the stall). Here request i is due at start + i / rate; it is sent then, on a connection of its
own (the server's sync workers close every connection anyway), however many are still in flight,
and its latency runs from that due time, so the generator's own lateness is counted against the
server too, never hidden. Asyncio in one process: at the rates measured here (a few thousand per
second) it keeps up, and it prints the CPU it took, since on a small machine it competes with the
server. Prints one JSON object: requests, errors, statuses, p50/p99/max (ms), how late it sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlsplit

MAX_IN_FLIGHT = 2000  # beyond this the server is not keeping up at all: count the rest as errors


async def _one(host: str, port: int, request: bytes, timeout: float) -> int:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(request)
        status_line = await asyncio.wait_for(reader.readline(), timeout)
        await asyncio.wait_for(reader.read(), timeout)  # to the end: the server closes
        return int(status_line.split()[1])
    finally:
        writer.close()


async def run(url: str, rate: float, seconds: float, timeout: float = 10.0) -> dict[str, object]:
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    lateness: list[float] = []
    in_flight: set[asyncio.Task[None]] = set()
    count = int(rate * seconds)
    started = time.monotonic() + 0.05

    async def send(due: float) -> None:
        try:
            status = await _one(host, port, request, timeout)
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(time.monotonic() - due)
        except (OSError, TimeoutError, ValueError, IndexError) as error:
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1

    for i in range(count):
        due = started + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lateness.append(max(0.0, time.monotonic() - due))
        if len(in_flight) >= MAX_IN_FLIGHT:
            errors["too many in flight"] = errors.get("too many in flight", 0) + 1
            continue
        task = asyncio.create_task(send(due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)

    def at(fraction: float) -> float:
        return (
            round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2) if ordered else float("nan")
        )

    return {
        "rate": rate,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "errors": sum(errors.values()) + sum(n for s, n in statuses.items() if not 200 <= s < 300),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "socket_errors": errors,
        "p50_ms": at(0.50),
        "p99_ms": at(0.99),
        "max_ms": at(1.0),
        "late_p99_ms": round(sorted(lateness)[int(0.99 * (len(lateness) - 1))] * 1000, 2) if lateness else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rate", description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True, help="requests per second, sent whatever the answers")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    if args.rate <= 0 or not 0 < args.seconds <= 300:
        parser.error("--rate must be above 0 and --seconds from 0 to 300")
    found = asyncio.run(run(args.url, args.rate, args.seconds))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    found["cpu_share"] = round((usage.ru_utime + usage.ru_stime) / max(float(found["seconds"]), 1e-9), 3)  # type: ignore[arg-type]
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
