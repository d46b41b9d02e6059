"""Throughput of one running container: requests per second, latency, and the CPU each request cost.

Where the machine allows (root, `nsenter` and `wrk` on the engine's host), wrk runs inside the
container's own network namespace against 127.0.0.1:8000, so neither Docker's userland proxy nor
the host's port table is in the figure. Elsewhere (Docker Desktop, no root) the load goes through
the published port with bench/load.py, and the report says so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import load

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_us: float | None  # the container's CPU time per request, when its cgroup is readable


def nsenter_possible() -> bool:
    """Whether a load can run inside a container's network namespace (root and nsenter here)."""
    return os.geteuid() == 0 and bool(shutil.which("nsenter"))


def in_namespace_possible() -> bool:
    return nsenter_possible() and bool(shutil.which("wrk"))


def method(connections: int, seconds: float) -> str:
    if in_namespace_possible():
        return (
            f"wrk -t2 -c{connections} -d{seconds:g}s --latency inside each container's network namespace "
            "(nsenter) against 127.0.0.1:8000, after a 1 s warm-up"
        )
    return (
        f"bench/load.py, {connections} connections for {seconds:g} s, "
        "through the published port (no root, nsenter or wrk here)"
    )


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/sec, p50 and p99 (ms), requests and errors from `wrk --latency` output."""
    found: dict[str, float] = {"errors": 0}
    for line in output.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            found["rps"] = float(words[1])
        elif len(words) == 2 and words[0] in {"50%", "99%"}:
            found[f"p{words[0][:-1]}_ms"] = _ms(words[1])
        elif "requests in" in line:
            found["requests"] = int(words[0])
        elif line.strip().startswith("Socket errors:"):
            found["errors"] += sum(int(n) for n in re.findall(r"\d+", line))
        elif line.strip().startswith("Non-2xx"):
            found["errors"] += int(words[-1])
    return found


def cgroup_cpu_ns(pid: int) -> int | None:
    """CPU time used so far by the cgroup of process ``pid`` (a container's), in nanoseconds."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        try:
            if controllers == "":  # cgroup v2
                stat = Path(f"/sys/fs/cgroup{path}/cpu.stat").read_text()
                return int(re.search(r"usage_usec (\d+)", stat).group(1)) * 1000  # type: ignore[union-attr]
            if "cpuacct" in controllers.split(","):
                base = next(p for p in Path("/sys/fs/cgroup").iterdir() if "cpuacct" in p.name.split(","))
                return int((base / path.lstrip("/") / "cpuacct.usage").read_text())
        except (OSError, AttributeError, StopIteration, ValueError):
            return None
    return None


def measure(container: Any, address: str, connections: int, seconds: float) -> Run:
    """Load the container for ``seconds`` after a 1 s warm-up; what it served and what that cost."""
    pid = container.state.pid
    if in_namespace_possible():
        wrk = ["nsenter", "-t", str(pid), "-n", "wrk", "-t2", f"-c{connections}"]
        subprocess.run([*wrk, "-d1s", "http://127.0.0.1:8000/test"], capture_output=True, check=True)
        before = cgroup_cpu_ns(pid)
        done = subprocess.run(
            [*wrk, f"-d{seconds:g}s", "--latency", "http://127.0.0.1:8000/test"],
            capture_output=True,
            text=True,
            check=True,
        )
        after = cgroup_cpu_ns(pid)
        found = parse_wrk(done.stdout)
    else:
        load.measure(f"{address}/test", connections, 1, settle=120)
        before = cgroup_cpu_ns(pid)
        figures = load.measure(f"{address}/test", connections, seconds)
        after = cgroup_cpu_ns(pid)
        found = {
            "rps": figures["requests_per_second"],
            "p50_ms": figures["p50_ms"],
            "p99_ms": figures["p99_ms"],
            "requests": figures["requests"],
            "errors": figures["socket_errors"] + figures["non_2xx"],
        }
    requests = int(found["requests"])
    cpu = None if before is None or after is None or not requests else (after - before) / requests / 1000
    return Run(found["rps"], found["p50_ms"], found["p99_ms"], requests, int(found["errors"]), cpu)
