"""A bounded load from a second process on loopback: nothing fails, and the figures are printed."""

import json
import subprocess
import sys

from tooling.settings import ROOT

CONNECTIONS = 64
SECONDS = 20


def test_sustained_load_has_no_errors(service):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            f"{service.url}/test",
            "--connections",
            str(CONNECTIONS),
            "--seconds",
            str(SECONDS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SECONDS + 60,
        check=True,
    )
    figures = json.loads(done.stdout)
    print(
        f"\nload on /test: {figures['requests']} requests, {figures['requests_per_second']}/s, "
        f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, errors {figures['errors']}"
    )
    assert figures["requests"] > 0
    assert figures["socket_errors"] == 0, figures["errors"]
    assert figures["non_2xx"] == 0, figures["statuses"]
