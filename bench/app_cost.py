"""What a request costs the app itself, in-process, metrics on against off: the app called through
WSGI, no server, no network, so that a few microseconds show that the full benchmark cannot resolve.

    nox -s bench -- app-cost          # python -m bench app-cost: 10 alternated processes of 20,000
                                      # calls each, medians, in µs

Each process builds the app as gunicorn's worker does (metrics on: PROMETHEUS_MULTIPROC_DIR set to a
fresh folder) and times GET /test after a warm-up; the processes alternate which one goes first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CALLS, WARM_UP = 20_000, 2_000


def one_process() -> float:
    """Microseconds a call, in this process (metrics on when PROMETHEUS_MULTIPROC_DIR is set)."""
    from werkzeug.test import EnvironBuilder

    from service import create_app

    app = create_app({})
    template = EnvironBuilder(path="/test").get_environ()

    def call() -> None:
        body = app(dict(template), lambda status, headers, exc_info=None: lambda data: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    for _ in range(WARM_UP):
        call()
    started = time.perf_counter()
    for _ in range(CALLS):
        call()
    return (time.perf_counter() - started) / CALLS * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench app-cost", description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=10, help="alternated processes, each subject")
    parser.add_argument("--one", choices=["on", "off"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_process()))
        return 0
    found: dict[str, list[float]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.processes):
            for subject in ("off", "on") if n % 2 == 0 else ("on", "off"):
                env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
                if subject == "on":
                    env["PROMETHEUS_MULTIPROC_DIR"] = folder
                command = [sys.executable, "-m", "bench.app_cost", "--one", subject]
                done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
                found[subject].append(float(done.stdout))
    for subject, values in found.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(f"metrics {subject:3}: {statistics.median(values):.1f} µs a request (median; {shown})")
    print(f"metrics cost the app {statistics.median(found['on']) - statistics.median(found['off']):.1f} µs a request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
