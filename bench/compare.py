"""Our image against the tutorial's, side by side on one engine and one base image.

    nox -s bench                  # or: python -m bench [--repeats 7] [--pairs 5] [--load-seconds 6]

Builds both from copies of their build contexts, then starts each with a plain `docker run` and
loads it to saturation, alternating round after round so that a machine that drifts weighs on
both: our image as shipped, the tutorial's, and the subjects that explain the difference (each our
image with one thing changed: access lines on, batched or not; metrics off; 4 workers as the
tutorial runs; its -t 0; the health check every 10 s, the cadence Engine 25+ gets). Then latency at
fixed rates, 25/50/75% of the tutorial's saturation (bench/latency.py), and the deploy timings the
deploy and cluster sessions printed last (.figures/). Prints the tables, writes every run to
bench/results.json and draws bench/results.svg from it. What it creates carries a project label of
its own and is removed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import latency, report, throughput
from bench.draw import draw
from bench.subjects import Ours, Subject, Tutorial, Variant, contexts
from tooling.core.settings import ROOT, from_invoke
from tooling.core.waiting import WaitTimeout, wait_until
from tooling.engine.client import connect
from tooling.engine.containers import url
from tooling.verbs.clean import clean_project

PROJECT = f"flask-service-bench-{uuid.uuid4().hex[:6]}"


def say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def first_200(address: str, timeout: float = 60) -> None:
    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"{address}/test", timeout=1) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    try:
        wait_until(answers, timeout=timeout, interval=0.005)
    except WaitTimeout:
        raise RuntimeError(f"{address}/test never answered 200") from None


def memory_mib(client: Any, container: Any) -> float:
    return float(client.container.stats(container)[0].memory_used) / 2**20


def measure_builds(subject: Subject, repeats: int) -> dict[str, Any]:
    """Cold builds, size, and rebuilds after a one-line change to the service's code."""
    base = subject.client.image.inspect(subject.settings.python_image)
    cold = []
    for n in range(repeats):
        say(f"{subject.name}: cold build {n + 1}/{repeats}")
        cold.append(subject.build(cache=False))
    # A developer's cache is warm from their last build; so is ours before the code-change rebuilds.
    # (After a --no-cache build the classic builder misses its cache once more; see docs/benchmarks.md.)
    subject.build(cache=True)
    image = subject.client.image.inspect(subject.tag)
    rebuilds = []
    for n in range(repeats):
        subject.change_code(n)
        rebuilds.append(subject.build(cache=True))
    say(f"{subject.name}: rebuild after a one-line change {report.median(rebuilds):.2f}s")
    return {
        "size_mb": (image.size or 0) / 1e6,
        "added_mb": ((image.size or 0) - (base.size or 0)) / 1e6,
        "cold_s": cold,
        "rebuild_s": rebuilds,
    }


def run_once(variant: Variant, n: int, connections: int, seconds: float) -> dict[str, Any]:
    """One container: time to the first 200, memory, throughput under load, then `docker stop`."""
    client = variant.subject.client
    started = time.monotonic()
    container = variant.start(n)
    try:
        address = url(container)
        first_200(address)
        found: dict[str, Any] = {"first_200_s": time.monotonic() - started}
        time.sleep(1)  # every worker up
        found["idle_mib"] = memory_mib(client, container)
        found.update(asdict(throughput.measure(container, address, connections, seconds)))
        found["loaded_mib"] = memory_mib(client, container)
        started = time.monotonic()
        container.stop()  # the engine's default grace, as a user's `docker stop` gets
        found["stop_s"] = time.monotonic() - started
        container.reload()
        found["stop_code"] = container.state.exit_code
    finally:
        container.remove(force=True)
    say(
        f"{variant.name}: run {n + 1}: {found['rps']:.0f} req/s, p99 {found['p99_ms']:.1f} ms, "
        f"first 200 {found['first_200_s']:.2f}s, stop {found['stop_s']:.1f}s"
    )
    return found


def wall_time(command: list[str], repeats: int) -> float:
    """The median wall time of ``command``, after a first run that is not counted. Python may write
    its bytecode, as in the venv the README's first command makes (pip compiles what it installs):
    a machine that sets PYTHONDONTWRITEBYTECODE would otherwise time compiling from source."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(repeats + 1):
        started = time.monotonic()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True, env=env)
        times.append(time.monotonic() - started)
    return report.median(times[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="rounds at saturation (medians, with their spread)")
    parser.add_argument("--pairs", type=int, default=5, help="alternated pairs at each fixed rate")
    parser.add_argument("--rate-seconds", type=float, default=8, help="length of each fixed-rate run")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections of the load")
    parser.add_argument("--load-seconds", type=float, default=6, help="length of each load run")
    parser.add_argument("--results", default=str(report.RESULTS), help="where to write every run (JSON)")
    args = parser.parse_args(argv)
    if args.repeats < 3:
        parser.error("--repeats must be at least 3: a median of fewer says little")

    client = connect()
    settings = from_invoke().override(project=PROJECT)
    say(f"load: {throughput.method(args.connections, args.load_seconds)}")
    results: dict[str, Any] = {
        "rounds": args.repeats,
        "method": throughput.method(args.connections, args.load_seconds),
        "method_short": "wrk in each container's network namespace"
        if throughput.in_namespace_possible()
        else "through the published port",
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "kernel": platform.release(),
            "engine": getattr(client.version().server, "version", "?"),
            "base_image": settings.python_image,
        },
        "build": {},
        "runs": {},
    }
    try:
        with contexts() as (ours_context, baseline_context):
            ours, tutorial = Ours(ours_context, client, settings), Tutorial(baseline_context, client, settings)
            for subject in (ours, tutorial):
                results["build"][subject.name] = measure_builds(subject, args.repeats)
            shipped, baseline = Variant(report.OURS, ours), Variant(report.TUTORIAL, tutorial)
            variants = [
                shipped,
                *[Variant(name, ours, envs, health) for name, envs, health in report.BREAKDOWN],
                baseline,
            ]
            results["runs"] = {variant.name: [] for variant in variants}
            for n in range(args.repeats):
                # Round after round, and each round in another order: no image always goes first.
                for variant in variants[n % len(variants) :] + variants[: n % len(variants)]:
                    results["runs"][variant.name].append(run_once(variant, n, args.connections, args.load_seconds))
            saturation = report.medians(results["runs"][report.TUTORIAL], "rps")
            say(f"fixed rates: {', '.join(f'{s:.0%}' for s in latency.SHARES)} of the tutorial's {saturation:.0f}/s")
            results["fixed_rate"] = latency.measure(
                (shipped, baseline), saturation, args.pairs, args.rate_seconds, say, first_200
            )
    finally:
        clean_project(client, PROJECT)
    results["other"] = {"inv_list_s": wall_time([sys.executable, "-m", "invoke", "--list"], 5)}
    results["deploys"] = report.session_figures()
    path = Path(args.results)
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(report.table(results))
    say(f"wrote {path} and drew {draw(results, path.with_suffix('.svg'))}")
    return 0
