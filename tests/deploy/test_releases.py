"""Push, deploy, update, a broken release, rollback and the lock, on this engine's
swarm and a real registry, under constant traffic from the host through the edge.

Each test asks for the state it needs (`checkout.serve("v1", "v2")`: v2 serving with v1 before it
in the history), building, pushing and deploying what is missing: every test runs alone
(`nox -s deploy -- -k rollback`) as well as after the others, which then find their state ready."""

from __future__ import annotations

import hashlib
import os
import re
import signal
from pathlib import Path

import pytest

from tests.deploy.conftest import AUTH_REGISTRY
from tests.engine import http, sh
from tests.shipping import Checkout, free_port
from tests.traffic import traffic
from tooling.core.settings import STACK_LABEL
from tooling.core.waiting import wait_until
from tooling.engine.client import cli, ids, inspect


def test_push_then_deploy(checkout: Checkout):
    release = checkout.ship("v1")
    deployed = checkout.inv("deploy")
    assert deployed.returncode == 0, deployed.stderr
    assert f"2/2 replicas on {release.digest.split('@')[1][:19]}" in deployed.stdout
    assert "the edge answers at http://127.0.0.1:" in deployed.stdout, "where, from this machine"
    assert checkout.serving() == release.digest, "the stack runs the pushed image, pinned by digest"
    running = checkout.replicas()
    assert [r["image"] for r in running] == [release.digest] * 2 and {r["state"] for r in running} == {"running"}
    assert http("GET", f"{checkout.url}/test").text == "test_endpoint_get"
    assert checkout.served_revision() == release.commit


def test_on_engine_20_10_the_image_s_own_health_check_runs_every_3_s(checkout: Checkout):
    """No start interval to ask for below API 1.44: the stack keeps the image's HEALTHCHECK."""
    checkout.serve("v1")
    service = inspect(checkout.manager, f"{checkout.stack}_web")[0]
    assert "Healthcheck" not in service["Spec"]["TaskTemplate"]["ContainerSpec"], "nothing laid over the image's"
    found = ids(checkout.manager, "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={checkout.stack}_web")
    health = inspect(checkout.manager, found[0])[0]["Config"]["Healthcheck"]
    assert health["Interval"] == 3_000_000_000 and "StartInterval" not in health


def test_the_secret_reaches_the_app_and_nowhere_else(checkout: Checkout):
    release = checkout.serve("v1")
    value = Path(checkout.env["INVOKE_DOCKER_SECRET_KEY_FILE"]).read_text()
    found = ids(checkout.manager, "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={checkout.stack}_web")
    replica = checkout.manager.container.inspect(found[0])
    # The key as the app reads it, compared by its hash: the value itself never leaves the replica.
    check = (
        "import hashlib; from service.config import from_environ; "
        "print(hashlib.sha256(from_environ()['SECRET_KEY'].encode()).hexdigest())"
    )
    assert sh(replica, f'python3 -c "{check}"').strip() == hashlib.sha256(value.encode()).hexdigest()
    seen = [
        cli(checkout.manager, "service", "inspect", f"{checkout.stack}_web"),
        cli(checkout.manager, "inspect", *found),
        cli(checkout.manager, "history", "--no-trunc", release.digest),
        cli(checkout.manager, "service", "logs", f"{checkout.stack}_web"),
        checkout.inv("logs", "--stack", "--tail", "100").stdout,
        checkout.inv("status").stdout,
    ]
    assert not [text for text in seen if value in text]


def test_a_rollback_to_a_release_never_served_is_refused(checkout: Checkout):
    checkout.serve("v1")
    before = checkout.serving()
    result = checkout.inv("rollback", "--to", "fedcba9")
    assert result.returncode == 1
    assert f"no release of {checkout.stack} matches 'fedcba9'; the releases it served: " in result.stderr
    assert checkout.serving() == before


def test_a_commit_never_pushed_cannot_be_deployed(checkout: Checkout):
    checkout.serve("v1")
    before = checkout.serving()
    head = checkout.unpushed_commit()
    result = checkout.inv("deploy")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: HEAD ({head[:7]}) was never pushed")
    assert checkout.serving() == before


def test_an_update_drops_no_request_and_passes_its_analysis(checkout: Checkout, report):
    checkout.serve("v1")
    release = checkout.ship("v2")
    with traffic(f"{checkout.url}/test") as load:
        deployed = checkout.inv("deploy")
    assert deployed.returncode == 0, deployed.stderr
    *_, took, judged, _ = deployed.stdout.strip().splitlines()
    converged = re.search(r"healthy, (\d+)s after the deploy began", deployed.stdout)
    assert converged, deployed.stdout
    report(
        f"update v1 -> v2 under load: {load.summary()}, converged in {converged.group(1)}s,"
        f" {load.seconds:.0f}s in all, analysis included; {took}"
    )
    report(f"a healthy release under load: {judged}")
    assert took.startswith("took: to Swarm "), took
    assert re.fullmatch(r"judged by its own traffic: 0\.0% 5xx over \d+ requests in \d+s, passed", judged), judged
    assert load.requests > 1000
    assert load.failed == 0, load.summary()
    assert [r["image"] for r in checkout.replicas()] == [release.digest] * 2
    assert checkout.served_revision() == release.commit


def test_a_release_that_never_turns_healthy_is_rolled_back_and_drops_no_request(checkout: Checkout, report):
    serving = checkout.serve("v1", "v2")
    broken = checkout.ship("broken")
    with traffic(f"{checkout.url}/test") as load:
        deployed = checkout.inv("deploy")
    report(f"broken release under load: {load.summary()}, rolled back {load.seconds:.0f}s after `inv deploy` began")
    assert deployed.returncode == 1
    said = deployed.stderr.strip().splitlines()[-1]
    assert said.startswith("error: Swarm rolled the update of web back (update rolled back due to failure"), said
    assert f"{serving.digest.split('@')[1][:19]}… (rev {serving.commit[:7]}) is serving" in said
    assert "unhealthy: HTTP/1.0 503" in said, "the failing replica's health check says why"
    assert load.failed == 0, load.summary()
    assert [r["image"] for r in checkout.replicas()] == [serving.digest] * 2
    assert checkout.serving() != broken.digest


def test_rollback_goes_back_to_the_release_before_and_drops_no_request(checkout: Checkout, report):
    checkout.serve("v1", "v2")
    before = checkout.releases["v1"]
    with traffic(f"{checkout.url}/test") as load:
        rolled = checkout.inv("rollback")
    report(f"rollback v2 -> v1 under load: {load.summary()}")
    assert rolled.returncode == 0, rolled.stderr
    assert load.failed == 0, load.summary()
    assert checkout.served_revision() == before.commit
    assert [r["image"] for r in checkout.replicas()] == [before.digest] * 2


def test_a_second_deploy_while_one_runs_is_refused_and_ctrl_c_lets_go(checkout: Checkout):
    release = checkout.serve("v1", "v2")
    other = checkout.releases["v1"].digest
    first = checkout.popen("deploy", "--image", other)
    lock = f"name={checkout.stack}-deploy-lock"

    def locked() -> bool:
        assert first.poll() is None, "the first deploy ended before it took the lock"
        return bool(ids(checkout.manager, "config", "ls", "-q", "--filter", lock))

    wait_until(locked, timeout=60, interval=0.2)
    second = checkout.inv("deploy", "--image", release.digest)
    if first.poll() is not None:
        out, err = first.communicate()
        pytest.fail(f"the first deploy ended (exit {first.returncode}) before the second tried: {out}{err}")
    assert second.returncode == 1, second.stderr
    assert f"another deploy of {checkout.stack} holds the lock" in second.stderr and "(pid " in second.stderr
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130
    assert "Swarm goes on" in err
    assert not ids(checkout.manager, "config", "ls", "-q", "--filter", lock)
    again = checkout.inv("deploy", "--image", release.digest)  # waits for what Swarm went on with
    assert again.returncode == 0, again.stderr
    assert checkout.serving() == release.digest


@pytest.mark.parametrize("case", ["registry down", "not logged in", "unknown digest"])
def test_what_cannot_be_had_is_one_line_and_changes_nothing(checkout: Checkout, case):
    release = checkout.serve("v1")
    before = checkout.serving()
    if case == "registry down":
        assert checkout.inv("build").returncode == 0, "the image of HEAD, so that push gets as far as the registry"
        registry = f"127.0.0.1:{free_port()}/nobody"
        results = [checkout.inv(task, INVOKE_DOCKER_REGISTRY=registry) for task in ("push", "deploy")]
        expected = "does not answer"
    elif case == "not logged in":
        auth = os.environ.get(AUTH_REGISTRY)
        if not auth:
            pytest.skip(f"set {AUTH_REGISTRY} to a registry that wants a login (CI: .ci/registry.sh)")
        results = [checkout.inv("push", "--allow-dirty", INVOKE_DOCKER_REGISTRY=f"{auth}/team")]
        expected = f"the registry {auth} wants a login"
    else:
        unknown = release.digest.split("@")[0] + "@sha256:" + "0" * 64
        results = [checkout.inv("deploy", "--image", unknown)]
        expected = "is not in its registry"
    for result in results:
        assert result.returncode == 1
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and expected in last, result.stderr
        assert "Traceback" not in result.stderr
    assert checkout.serving() == before, "nothing changed in the cluster"


def test_undeploy_leaves_nothing_of_the_stack(checkout: Checkout):
    checkout.serve("v1")
    result = checkout.inv("undeploy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"removed {checkout.stack}: 3 services, 1 network")
    label = f"label={STACK_LABEL}={checkout.stack}"
    for kind in ("service", "secret", "network"):
        assert ids(checkout.manager, kind, "ls", "-q", "--filter", label) == [], kind
    assert ids(checkout.manager, "ps", "-aq", "--filter", label) == []
    assert ids(checkout.manager, "config", "ls", "-q", "--filter", f"name={checkout.stack}") == [], "history and lock"
