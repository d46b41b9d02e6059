"""Latency at the load a service really runs at: our image as shipped and the tutorial's, each sent
a fixed rate of requests (25%, 50% and 75% of the tutorial's measured saturation), alternated pair
by pair, by bench/rate.py, an open-loop generator that counts each request's latency from when it
was due (no coordinated omission). Inside the container's network namespace where the machine
allows, as the saturation runs are; the generator's own CPU is reported beside its figures."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench.subjects import Variant
from bench.throughput import nsenter_possible
from tooling.core.settings import ROOT
from tooling.engine.containers import url

SHARES = (0.25, 0.50, 0.75)


def at_rate(variant: Variant, n: int, rate: float, seconds: float, first_200: Any) -> dict[str, Any]:
    """One fresh container of ``variant`` sent ``rate`` requests a second for ``seconds``."""
    container = variant.start(n)
    try:
        address = url(container)
        first_200(address)
        time.sleep(1)  # every worker up
        generator = [sys.executable, "-m", "bench.rate", "--rate", f"{rate:.0f}", "--seconds", f"{seconds:g}"]
        if nsenter_possible():
            command = ["nsenter", "-t", str(container.state.pid), "-n", *generator, "http://127.0.0.1:8000/test"]
        else:
            command = [*generator, f"{address}/test"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=seconds + 60)
        found: dict[str, Any] = json.loads(done.stdout)
    finally:
        container.remove(force=True)
    return found


def measure(
    pair: tuple[Variant, Variant], saturation: float, pairs: int, seconds: float, say: Any, first_200: Any
) -> dict[str, Any]:
    """Every run of each of the pair at each share of ``saturation``: {share: {name: [runs]}}."""
    found: dict[str, Any] = {}
    for share in SHARES:
        rate = share * saturation
        runs: dict[str, list[dict[str, Any]]] = {variant.name: [] for variant in pair}
        for n in range(pairs):
            for variant in pair if n % 2 == 0 else pair[::-1]:  # alternated, each pair in another order
                run = at_rate(variant, n, rate, seconds, first_200)
                runs[variant.name].append(run)
                say(
                    f"{variant.name} at {rate:.0f}/s ({share:.0%}): p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, "
                    f"errors {run['errors']}, generator {run['cpu_share']:.0%} of a CPU"
                )
        found[f"{share:.2f}"] = {"rate": rate, "runs": runs}
    return found
