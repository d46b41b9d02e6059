"""An open-loop HTTP load generator: requests sent at a fixed rate, whatever the server does, and
each one's latency counted from when it was due, not from when it could be sent.

    python -m bench.rate http://127.0.0.1:8000/test --rate 1000 --seconds 8

Why our own: Debian has no wrk2, vegeta or k6, and `hey -q` (like wrk) is closed-loop: each worker
waits for its answer before it sends the next, so a stall delays the requests that should have gone
out meanwhile, and their waiting is never measured (coordinated omission: the p99 looks better the
worse the stall). Here request i is due at start + i / rate; it is sent then, on a connection of its
own (the server's sync workers close every connection anyway), however many are still in flight,
and its latency runs from that due time, so the generator's own lateness is counted against the
server too, never hidden. One process, non-blocking sockets on epoll and nothing else: on these
2 CPUs the generator competes with the server, so it must cost little (asyncio's streams cost
several times as much a request), and it prints the CPU it took. Prints one JSON object: requests,
errors, statuses, p50/p99/max (ms), how late it sent.
"""

from __future__ import annotations

import argparse
import errno
import json
import resource
import selectors
import socket
import sys
import time
from urllib.parse import urlsplit

from bench.load import percentile

MAX_IN_FLIGHT = 2000  # beyond this the server is not keeping up at all: count the rest as errors


class _Pending:
    """One request on its way: when it was due, and the start of what came back."""

    __slots__ = ("answer", "due", "sent")

    def __init__(self, due: float) -> None:
        self.due = due
        self.sent = False
        self.answer = b""


class Generator:
    """``count`` requests to ``address``, request i due at ``started`` + i / ``rate``."""

    def __init__(self, url: str, rate: float, seconds: float, timeout: float) -> None:
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.request = f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
        self.rate, self.count, self.timeout = rate, int(rate * seconds), timeout
        self.selector = selectors.DefaultSelector()
        self.latencies: list[float] = []
        self.lateness: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: dict[str, int] = {}
        self.sent = 0
        self.started = time.monotonic() + 0.05

    def run(self) -> dict[str, object]:
        expired = self.started
        while self.sent < self.count or self.selector.get_map():
            self.send_due()
            wake = self.started + self.sent / self.rate if self.sent < self.count else time.monotonic() + 0.1
            for key, _ in self.selector.select(max(0.0, min(wake - time.monotonic(), 0.1))):
                self.handle(key.fileobj, key.data)  # type: ignore[arg-type]
            if time.monotonic() - expired > 0.25:
                expired = time.monotonic()
                self.expire(expired)
        return self.report(time.monotonic() - self.started)

    def error(self, why: str, sock: socket.socket | None = None) -> None:
        self.errors[why] = self.errors.get(why, 0) + 1
        if sock is not None:
            self.selector.unregister(sock)
            sock.close()

    def send_due(self) -> None:
        """Every request now due goes out, on a connection of its own."""
        now = time.monotonic()
        while self.sent < self.count and self.started + self.sent / self.rate <= now:
            due = self.started + self.sent / self.rate
            self.sent += 1
            self.lateness.append(now - due)
            if len(self.selector.get_map()) >= MAX_IN_FLIGHT:
                self.error("too many in flight")
                continue
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            code = sock.connect_ex(self.address)
            if code not in (0, errno.EINPROGRESS):
                sock.close()
                self.error(errno.errorcode.get(code, str(code)))
                continue
            self.selector.register(sock, selectors.EVENT_WRITE, _Pending(due))

    def handle(self, sock: socket.socket, pending: _Pending) -> None:
        if not pending.sent:  # connected, or refused
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                self.error(errno.errorcode.get(code, str(code)), sock)
                return
            sock.send(self.request)
            pending.sent = True
            self.selector.modify(sock, selectors.EVENT_READ, pending)
            return
        try:
            chunk = sock.recv(65536)
        except OSError as error:
            self.error(type(error).__name__, sock)
            return
        if chunk:
            pending.answer = (pending.answer + chunk)[:16]  # the status line's start is all it reads
            return
        self.latencies.append(time.monotonic() - pending.due)  # the server closed: the answer is whole
        try:
            status = int(pending.answer.split(b" ", 2)[1])
        except (IndexError, ValueError):
            self.error("no status line", sock)
            return
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.selector.unregister(sock)
        sock.close()

    def expire(self, now: float) -> None:
        """Requests given up on after ``timeout`` seconds from when they were due."""
        for key in list(self.selector.get_map().values()):
            if now - key.data.due > self.timeout:
                self.error("timeout", key.fileobj)  # type: ignore[arg-type]

    def report(self, elapsed: float) -> dict[str, object]:
        def at(fraction: float) -> float:
            return round(percentile(self.latencies, fraction) * 1000, 2) if self.latencies else -1.0

        failed = sum(n for status, n in self.statuses.items() if not 200 <= status < 300)
        return {
            "rate": self.rate,
            "seconds": round(elapsed, 2),
            "requests": len(self.latencies),
            "errors": sum(self.errors.values()) + failed,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "socket_errors": self.errors,
            "p50_ms": at(0.50),
            "p99_ms": at(0.99),
            "max_ms": at(1.0),
            "late_p99_ms": round(percentile(self.lateness, 0.99) * 1000, 2) if self.lateness else 0.0,
        }


def run(url: str, rate: float, seconds: float, timeout: float = 10.0) -> dict[str, object]:
    return Generator(url, rate, seconds, timeout).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rate", description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True, help="requests per second, sent whatever the answers")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    if args.rate <= 0 or not 0 < args.seconds <= 300:
        parser.error("--rate must be above 0 and --seconds from 0 to 300")
    found = run(args.url, args.rate, args.seconds)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    found["cpu_share"] = round((usage.ru_utime + usage.ru_stime) / max(float(found["seconds"]), 1e-9), 3)  # type: ignore[arg-type]
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
