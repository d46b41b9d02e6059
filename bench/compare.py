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
import json
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tooling.build import build_image
from tooling.docker import connect, labels
from tooling.housekeeping import clean
from tooling.service import RunOptions, start, url
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

    def __init__(self, name: str, context: Path, client: Any, settings: Settings) -> None:
        self.name = name
        self.context = context
        self.client = client
        self.settings = settings
        self.tag = f"{PROJECT}:{name}"

    def build(self, cache: bool) -> float:
        started = time.monotonic()
        if self.name == "ours":
            build_image(
                self.client, self.settings, tags=[self.tag], no_cache=not cache, context=self.context, out=io.StringIO()
            )
        else:
            args = {"PYTHON_IMAGE": self.settings.python_image}
            image_labels = {PROJECT_LABEL: PROJECT}
            if self.client.buildx.is_installed():
                self.client.buildx.build(
                    self.context,
                    tags=[self.tag],
                    build_args=args,
                    labels=image_labels,
                    cache=cache,
                    load=True,
                    progress=False,
                )
            else:
                self.client.legacy_build(
                    self.context, tags=[self.tag], build_args=args, labels=image_labels, cache=cache
                )
        return time.monotonic() - started

    def change_code(self, n: int) -> None:
        with (self.context / "service" / "api.py").open("a") as source:
            source.write(f"# bench change {n}\n")

    def start(self, n: int) -> Any:
        name = f"{PROJECT}-{self.name}-{n}"
        if self.name == "ours":  # the way `inv run` starts it
            options = RunOptions.from_settings(
                self.settings, name=name, image=self.tag, port=0, env_file="", role="bench"
            )
            return start(self.client, self.settings, options)
        return self.client.run(
            self.tag,
            detach=True,
            name=name,
            publish=[("127.0.0.1:", 8000)],
            pull="never",
            labels=labels(PROJECT, "bench"),
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


def load(address: str, connections: int, seconds: float) -> dict[str, Any]:
    """Unbounded load (throughput), after TIME_WAIT from earlier runs has drained (bench/load.py)."""
    command = [
        sys.executable,
        "-m",
        "bench.load",
        f"{address}/test",
        "--connections",
        str(connections),
        "--seconds",
        str(seconds),
        "--settle",
        "120",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=seconds + 240)
    return json.loads(done.stdout)


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
        first_200(url(container))
        figures.first_200_s.append(time.monotonic() - started)
        result = load(url(container), connections, load_seconds)
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

    client = connect()
    settings = replace(from_invoke(), project=PROJECT)
    try:
        with contexts() as (ours_context, baseline_context):
            subjects = [
                (Subject(name, context, client, settings), Figures(name))
                for name, context in (("ours", ours_context), ("tutorial", baseline_context))
            ]
            for subject, figures in subjects:
                measure_builds(subject, figures, args.repeats)
            # Runs alternate between the two, so a machine that drifts during the run weighs on both.
            for n in range(args.repeats):
                for subject, figures in subjects:
                    measure_run(subject, figures, n, args.connections, args.load_seconds)
            results = [figures for _, figures in subjects]
    finally:
        clean(client, PROJECT)
    say("timing `inv --list` and a warm `nox -s smoke`")
    inv_list = wall_time([sys.executable, "-m", "invoke", "--list"], 5)
    smoke = None if args.no_smoke else warm_smoke()
    print(report(results[0], results[1], inv_list, smoke, args.repeats))
    return 0
