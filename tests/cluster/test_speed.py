"""Deploys in seconds on Engine 26: the health cadence the tasks set there (a start interval), and
where the time of an update and of a rollback goes, printed (timings are figures, not pass or fail)."""

from __future__ import annotations

import re
import time

from tests.shipping import Checkout
from tooling.engine.client import ids, inspect

SECOND = 1_000_000_000  # the API's durations are nanoseconds


def test_a_deployed_task_checks_every_second_while_starting_and_every_10_s_after(checkout: Checkout):
    checkout.serve("v1")
    task = inspect(
        checkout.manager, ids(checkout.manager, "service", "ps", "-q", "--no-trunc", f"{checkout.stack}_web")[0]
    )[0]
    health = task["Spec"]["ContainerSpec"]["Healthcheck"]
    assert health["StartInterval"] == 1 * SECOND and health["Interval"] == 10 * SECOND
    assert health["StartPeriod"] == 5 * SECOND and health["Retries"] == 2
    assert "Test" not in health or not health["Test"], "the image's own test, only the cadence is set"


def test_an_update_of_two_replicas_and_a_rollback_of_a_broken_release_take_seconds(checkout: Checkout, report):
    checkout.serve("v1")
    checkout.ship("v2")
    started = time.monotonic()
    updated = checkout.inv("deploy", "--replicas", "2", "--no-analysis")
    took = time.monotonic() - started
    assert updated.returncode == 0, updated.stderr
    converged = re.search(r"healthy, (\d+)s after the deploy began", updated.stdout)
    assert converged, updated.stdout
    phases = next(line for line in updated.stdout.splitlines() if line.startswith("took: "))
    report(f"cluster: update of 2 replicas converged in {converged.group(1)}s ({took:.0f}s in all); {phases}")
    checkout.ship("broken")
    started = time.monotonic()
    broken = checkout.inv("deploy", "--replicas", "2", "--no-analysis")
    took = time.monotonic() - started
    assert broken.returncode == 1 and "Swarm rolled the update of web back" in broken.stderr, broken.stderr
    report(f"cluster: a release that never turns healthy rolled back and reported {took:.0f}s after `inv deploy` began")
