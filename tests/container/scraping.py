"""The container's metrics, read from inside it (the port is not published), and the churn of 100
worker restarts the smoke checks prove the multiprocess directory bounded after: it runs in the
background from the moment its container is healthy, while the other checks run."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tests.engine import Running, http, sh
from tooling.core.waiting import wait_until

METRICS_PORT = 9464
DIRECTORY = "/dev/shm/prometheus"
# Scrapes from inside the container (the port is not published): the median time of N, then the text.
SCRAPE = f"""
import sys, time, urllib.request
times = []
for _ in range(int(sys.argv[1])):
    started = time.perf_counter()
    body = urllib.request.urlopen("http://127.0.0.1:{METRICS_PORT}/metrics", timeout=10).read()
    times.append((time.perf_counter() - started) * 1000)
print(sorted(times)[len(times) // 2])
sys.stdout.write(body.decode())
"""
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(running, times=1):
    """(the metrics' text, the median scrape in ms), asked inside the container."""
    out = str(running.container.execute(["python3", "-c", SCRAPE, str(times)]))
    ms, _, text = out.partition("\n")
    return text, float(ms)


def samples(text):
    for line in text.splitlines():
        found = SAMPLE.match(line)
        if found and not line.startswith("#"):
            yield found[1], dict(LABEL.findall(found[2] or "")), float(found[3])


def value(text, name, **labels):
    return sum(v for n, ls, v in samples(text) if n == name and ls == labels)


def requests_to(text, route):
    return value(text, "http_server_requests_total", method="GET", route=route, status="200")


def directory(running):
    """(files, KiB) in the multiprocess directory."""
    files = int(sh(running, f"ls {DIRECTORY} | wc -l"))
    kib = int(sh(running, f"du -sk {DIRECTORY}").split()[0])
    return files, kib


def answers(running: Running) -> bool:
    try:
        return http("GET", f"{running.url}/healthz", timeout=1).status == 200
    except OSError:
        return False


@dataclass
class Churn:
    """``restarts`` requests to a container whose workers each serve one (max_requests 1), as many
    at once as it has ``workers``, with the metrics and the directory read before and after."""

    running: Running
    workers: int
    restarts: int = 100
    figures: dict[str, Any] = field(default_factory=dict)
    failure: BaseException | None = None
    thread: threading.Thread | None = None

    def start(self) -> Churn:
        self.thread = threading.Thread(target=self._run, name="churn", daemon=True)
        self.thread.start()
        return self

    def result(self, timeout: float = 120) -> dict[str, Any]:
        """The figures, once the churn is over; what went wrong in it, raised here."""
        assert self.thread is not None, "the churn never started"
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"100 worker restarts not done after {timeout:.0f}s"
        if self.failure is not None:
            raise self.failure
        return self.figures

    def _send(self, count: int) -> int:
        with ThreadPoolExecutor(self.workers) as pool:
            answers = list(pool.map(lambda _: http("GET", f"{self.running.url}/test").status, range(count)))
        assert answers == [200] * count, answers
        return count

    def _run(self) -> None:
        try:
            wait_until(lambda: answers(self.running), timeout=60, interval=0.05)
            found = self.figures
            found["sent"] = self._send(2 * self.workers)  # every worker served and replaced: archives exist
            found["text_before"], found["ms_before"] = scrape(self.running, times=9)
            found["files_before"], found["kib_before"] = directory(self.running)
            before = value(found["text_before"], "gunicorn_worker_restarts_total")
            found["sent"] += self._send(self.restarts)

            def seen() -> bool:  # the master saw each of the workers exit
                return value(scrape(self.running)[0], "gunicorn_worker_restarts_total") >= before + self.restarts

            wait_until(seen, timeout=30, interval=0.2)
            found["text_after"], found["ms_after"] = scrape(self.running, times=9)
            found["files_after"], found["kib_after"] = directory(self.running)
        except BaseException as error:  # noqa: BLE001 - handed to the test that reads the result
            self.failure = error
