"""A release judged by its own traffic on this engine's swarm, through the monitor's Prometheus: one
answering 500s is rolled back by its errors and never counts as having served; one with no traffic
passes with a warning (a healthy one passes with its figures: test_releases.py's update). Each test
asks for the state it needs (tests/shipping.py), as in test_releases.py."""

from __future__ import annotations

import re

from tests.shipping import Checkout
from tests.traffic import traffic
from tooling.core.waiting import wait_until


def test_a_release_whose_own_traffic_fails_is_rolled_back_by_its_errors(checkout: Checkout, report):
    serving = checkout.serve("v1")
    erroring = checkout.ship("erroring")
    with traffic(f"{checkout.url}/test") as load:
        deployed = checkout.inv("deploy")
    report(f"a release answering 500 on /test under load: {load.summary()}, rolled back after {load.seconds:.0f}s")
    assert deployed.returncode == 1, deployed.stdout
    said = deployed.stderr.strip().splitlines()[-1]
    assert re.search(
        r"answered \d+\.\d% 5xx over \d+ requests in \d+s, above docker\.max_error_ratio \(1\.0%\)", said
    ), said
    assert said.endswith(f"rolled back; {serving.digest.split('@')[1][:19]}… (rev {serving.commit[:7]}) serves again")
    assert load.total("non_2xx") > 0 and load.total("socket_errors") == 0, "its 500s, and nothing else, failed"
    assert checkout.serving() == serving.digest
    assert checkout.served_revision() == serving.commit
    history = checkout.inv("rollback", "--to", erroring.commit[:7])
    assert "no release of" in history.stderr, "the failed release never counts as having served"


def test_a_release_with_no_traffic_passes_with_a_warning(checkout: Checkout):
    checkout.serve("v2")
    checkout.ship("v1")
    deployed = checkout.inv("deploy")
    assert deployed.returncode == 0, deployed.stderr
    assert "\nwarning: too little traffic to judge it (0 requests in " in deployed.stdout, deployed.stdout


def test_top_shows_the_release_and_each_replica_from_the_monitor(checkout: Checkout, report):
    serving = checkout.serve("v1")
    with traffic(f"{checkout.url}/test"):

        def busy() -> list[str] | None:  # Prometheus needs two scrapes (5 s apart) of traffic for a rate
            shown = checkout.inv("top", "--once")
            assert shown.returncode == 0, shown.stderr
            lines = shown.stdout.strip().splitlines()
            rates = [float(line.split()[-6]) for line in lines[1:]]  # the release's, then each replica's
            return lines if len(rates) == 3 and all(rate > 0 for rate in rates) else None  # the edge spreads it

        lines = wait_until(busy, timeout=60, interval=2)
    report("inv top --once under traffic:\n" + "\n".join(lines))
    assert lines[0].split()[:3] == ["REPLICA", "RELEASE", "REQ/S"]
    release = lines[1].split()
    assert release[:3] == ["all", "2", f"{serving.digest.split('@')[1][:19]}…"], lines[1]
    replicas = sorted(line.split()[0] for line in lines[2:])
    assert replicas == [f"{checkout.stack}_web.1", f"{checkout.stack}_web.2"], lines
