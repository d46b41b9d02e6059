"""Our image against the tutorial's, side by side on one engine and one base image.

    nox -s bench                  # or: python -m bench [--repeats 3] [--load-seconds 10]

Builds both from copies of their build contexts (so the one-line change never touches the
repository), then measures each figure ``--repeats`` times and prints the medians as a table,
with the targets of the benchmark issue checked against them. Containers and images it creates
carry a project label of their own and are removed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import measure
from tooling import engine
from tooling.build import build_image
from tooling.builder import build_context
from tooling.clean import clean_project
from tooling.run import start_service
from tooling.settings import PROJECT_LABEL, ROOT, Settings, from_invoke

BASELINE = Path(__file__).resolve().parent / "baseline"
RUN = uuid.uuid4().hex[:6]
PROJECT = f"flask-service-bench-{RUN}"


@dataclass
class Figures:
    name: str
    size_mb: float = 0.0
    added_mb: float = 0.0
    cold_build_s: list[float] = field(default_factory=list)
    rebuild_s: list[float] = field(default_factory=list)
    first_200_s: list[float] = field(default_factory=list)
    stop_s: list[float] = field(default_factory=list)
    stop_codes: list[int] = field(default_factory=list)
    rps: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


class Subject:
    """One image under test: how to build it from its context, and how to start it."""

    name = ""

    def __init__(self, context: Path, client: Any, settings: Settings) -> None:
        self.context = context
        self.client = client
        self.settings = settings.override(image=PROJECT, tag=self.name)
        self.tag = self.settings.reference

    def build(self, cache: bool) -> float:
        raise NotImplementedError

    def start(self, n: int) -> Any:
        raise NotImplementedError

    def change_code(self, n: int) -> None:
        with (self.context / "service" / "api.py").open("a") as source:
            source.write(f"# bench change {n}\n")

    def container_name(self, n: int) -> str:
        return f"{PROJECT}-{self.name}-{n}"


class Ours(Subject):
    """This repository's image, built by the code behind `inv build` and started as `inv run` starts it."""

    name = "ours"

    def build(self, cache: bool) -> float:
        return build_image(
            self.client, self.settings, tags=[self.tag], no_cache=not cache, context=self.context, out=io.StringIO()
        ).seconds

    def start(self, n: int) -> Any:
        settings = self.settings.override(container=self.container_name(n), port=0, env_file="")
        return start_service(self.client, settings, role="bench")


class Tutorial(Subject):
    """The tutorial's Dockerfile, built on the same base image and started as its README says."""

    name = "tutorial"

    def build(self, cache: bool) -> float:
        return build_context(
            self.client,
            self.context,
            project=PROJECT,
            tags=[self.tag],
            build_args={"PYTHON_IMAGE": self.settings.python_image},
            labels={PROJECT_LABEL: PROJECT},
            cache=cache,
            out=io.StringIO(),
        ).seconds

    def start(self, n: int) -> Any:
        return engine.start_container(
            self.client,
            self.tag,
            name=self.container_name(n),
            host="127.0.0.1",
            port=0,
            labels=engine.labels(PROJECT, "bench"),
        )


def first_200(address: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{address}/test", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{address}/test never answered 200")


def measure_builds(subject: Subject, figures: Figures, repeats: int) -> None:
    """Cold builds, size, and rebuilds after a one-line change to the service's code."""
    base = subject.client.image.inspect(subject.settings.python_image)
    for n in range(repeats):
        say(f"{subject.name}: cold build {n + 1}/{repeats}")
        figures.cold_build_s.append(subject.build(cache=False))
    # A developer's cache is warm from their last build; so is ours before the code-change rebuilds.
    # (After a --no-cache build the classic builder misses its cache once more; see README, Numbers.)
    subject.build(cache=True)
    image = subject.client.image.inspect(subject.tag)
    figures.size_mb = (image.size or 0) / 1e6
    figures.added_mb = ((image.size or 0) - (base.size or 0)) / 1e6
    for n in range(repeats):
        subject.change_code(n)
        figures.rebuild_s.append(subject.build(cache=True))
    say(f"{subject.name}: rebuild after a one-line change {median(figures.rebuild_s):.2f}s")


def measure_run(subject: Subject, figures: Figures, n: int, connections: int, load_seconds: float) -> None:
    """One container: time to the first 200, throughput under load, then `docker stop`."""
    started = time.monotonic()
    container = subject.start(n)
    try:
        address = engine.url(container)
        first_200(address)
        figures.first_200_s.append(time.monotonic() - started)
        # Unbounded load (throughput), after TIME_WAIT from earlier runs has drained (bench/load.py).
        result = measure(f"{address}/test", connections, load_seconds, settle=120)
        figures.rps.append(result["requests_per_second"])
        figures.p99_ms.append(result["p99_ms"])
        figures.errors += result["socket_errors"] + result["non_2xx"]
        started = time.monotonic()
        container.stop()  # the engine's default grace, as a user's `docker stop` gets
        figures.stop_s.append(time.monotonic() - started)
        container.reload()
        figures.stop_codes.append(container.state.exit_code)
    finally:
        container.remove(force=True)
    say(f"{subject.name}: run {n + 1}: {figures.rps[-1]:.0f} req/s, stop {figures.stop_s[-1]:.1f}s")


def wall_time(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.monotonic()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.monotonic() - started)
    return median(times)


def warm_smoke() -> float | None:
    nox = shutil.which("nox")
    if nox is None:
        return None
    subprocess.run([nox, "-s", "smoke"], cwd=ROOT, capture_output=True, check=True)  # warms venv and cache
    started = time.monotonic()
    subprocess.run([nox, "-s", "smoke"], cwd=ROOT, capture_output=True, check=True)
    return time.monotonic() - started


@contextmanager
def contexts() -> Iterator[tuple[Path, Path]]:
    """Copies of both build contexts: ours, and the tutorial's around the same service code."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ours, baseline = Path(tmp, "ours"), Path(tmp, "baseline")
        ours.mkdir()
        for part in ("docker", "service", "requirements"):
            shutil.copytree(ROOT / part, ours / part, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / ".dockerignore", ours / ".dockerignore")
        shutil.copytree(BASELINE, baseline)
        shutil.copytree(ROOT / "service", baseline / "service", ignore=shutil.ignore_patterns("__pycache__"))
        # The tutorial's requirements.txt: the same versions as our lock, without the hashes.
        pins = [
            line.split()[0]
            for line in (ROOT / "requirements/service.txt").read_text().splitlines()
            if line and not line.startswith((" ", "#"))
        ]
        (baseline / "requirements.txt").write_text("\n".join(pins) + "\n")
        yield ours, baseline


def row(label: str, ours: str, baseline: str, target: str = "", met: bool | None = None) -> str:
    verdict = "" if met is None else ("met" if met else "MISSED")
    return f"| {label} | {ours} | {baseline} | {target} | {verdict} |"


def report(ours: Figures, base: Figures, inv_list: float, smoke: float | None, repeats: int) -> str:
    def s(values: list[float]) -> str:
        return f"{median(values):.2f} s"

    rebuild_ratio = median(base.rebuild_s) / median(ours.rebuild_s)
    stop_ratio = median(base.stop_s) / median(ours.stop_s)
    lines = [
        f"Medians of {repeats} runs; same engine, same base image, same service code; runs alternate"
        " between the two images and each load starts once TIME_WAIT sockets have drained.",
        "",
        "| figure | ours | tutorial | target | |",
        "|---|---|---|---|---|",
        row("image size", f"{ours.size_mb:.0f} MB", f"{base.size_mb:.0f} MB"),
        row(
            "added over the base",
            f"{ours.added_mb:.1f} MB",
            f"{base.added_mb:.1f} MB",
            "<= 5% of tutorial's, <= 20 MB",
            ours.added_mb <= 0.05 * base.added_mb and ours.added_mb <= 20,
        ),
        row("cold build", s(ours.cold_build_s), s(base.cold_build_s)),
        row(
            "rebuild after a one-line code change",
            s(ours.rebuild_s),
            s(base.rebuild_s),
            f">= 3x faster (x{rebuild_ratio:.1f})",
            rebuild_ratio >= 3,
        ),
        row("docker run to first 200 on /test", s(ours.first_200_s), s(base.first_200_s)),
        row(
            "docker stop",
            f"{s(ours.stop_s)}, exit {sorted(set(ours.stop_codes))}",
            f"{s(base.stop_s)}, exit {sorted(set(base.stop_codes))}",
            f">= 10x faster, exit 0 (x{stop_ratio:.0f})",
            stop_ratio >= 10 and set(ours.stop_codes) == {0},
        ),
        row(
            "requests/s on /test",
            f"{median(ours.rps):.0f}",
            f"{median(base.rps):.0f}",
            ">= tutorial's",
            median(ours.rps) >= median(base.rps),
        ),
        row("p99 latency on /test", f"{median(ours.p99_ms):.1f} ms", f"{median(base.p99_ms):.1f} ms"),
        row("failed requests under load", str(ours.errors), str(base.errors), "0", ours.errors == 0),
        row("`inv --list`", f"{inv_list:.3f} s", "", "< 0.3 s", inv_list < 0.3),
        row(
            "warm `nox -s smoke`",
            "not run (no nox on PATH)" if smoke is None else f"{smoke:.1f} s",
            "",
            "< 20 s",
            None if smoke is None else smoke < 20,
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections of the load")
    parser.add_argument("--load-seconds", type=float, default=10, help="length of each load run")
    parser.add_argument("--no-smoke", action="store_true", help="skip timing the warm `nox -s smoke`")
    args = parser.parse_args(argv)

    client = engine.connect()
    settings = from_invoke().override(project=PROJECT)
    try:
        with contexts() as (ours_context, baseline_context):
            subjects = [
                (subject, Figures(subject.name))
                for subject in (Ours(ours_context, client, settings), Tutorial(baseline_context, client, settings))
            ]
            for subject, figures in subjects:
                measure_builds(subject, figures, args.repeats)
            # Runs alternate between the two, so a machine that drifts during the run weighs on both.
            for n in range(args.repeats):
                for subject, figures in subjects:
                    measure_run(subject, figures, n, args.connections, args.load_seconds)
            results = [figures for _, figures in subjects]
    finally:
        clean_project(client, PROJECT)
    say("timing `inv --list` and a warm `nox -s smoke`")
    inv_list = wall_time([sys.executable, "-m", "invoke", "--list"], 5)
    smoke = None if args.no_smoke else warm_smoke()
    print(report(results[0], results[1], inv_list, smoke, args.repeats))
    return 0
