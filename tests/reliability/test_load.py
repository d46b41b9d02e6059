"""A bounded load from a second process on loopback: nothing fails, and the figures are printed."""

import json
import subprocess
import sys

from tooling.settings import ROOT

CONNECTIONS = 64
SECONDS = 20
# A fixed offered load: 16,000 requests, each two short TCP connections through Docker's proxy,
# stays well inside the ephemeral ports (see bench/load.py) whatever the machine's speed.
RATE = 800


def test_sustained_load_has_no_errors(service, capsys):
    command = [
        sys.executable,
        "-m",
        "bench.load",
        f"{service.url}/test",
        "--connections",
        str(CONNECTIONS),
        "--seconds",
        str(SECONDS),
        "--rate",
        str(RATE),
        "--settle",
        "90",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=SECONDS + 180, check=True)
    figures = json.loads(done.stdout)
    summary = (
        f"load on /test ({CONNECTIONS} connections, {SECONDS} s, {RATE}/s offered): "
        f"{figures['requests']} requests, {figures['requests_per_second']}/s, "
        f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, errors {figures['errors']}"
    )
    with capsys.disabled():  # the figures are part of the result: always shown
        print(f"\n{summary}")
    assert figures["requests"] >= RATE * SECONDS * 0.5, "the service kept up with most of the offered load"
    assert figures["socket_errors"] == 0, figures["errors"]
    assert figures["non_2xx"] == 0, figures["statuses"]
