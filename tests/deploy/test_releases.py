"""Push, deploy, update, a broken release, rollback, the lock and slow clients, on a real swarm and
a real registry, under constant traffic from the host through the edge. The steps build on each
other, in this order: v1, then v2, then a release whose health check fails, then back to v1."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import AUTH_REGISTRY, Checkout, free_port, traffic
from tests.engine import http, sh
from tooling import engine
from tooling.settings import STACK_LABEL

RELEASES: dict[str, dict[str, str]] = {}  # v1, v2, broken: their revision and digest


@pytest.fixture
def report(capsys):
    """Print a figure of the run whatever pytest captures: the figures are part of the result."""

    def say(text: str) -> None:
        with capsys.disabled():
            print(f"\n{text}")

    return say


def spec(client: Any, checkout: Checkout) -> dict[str, Any]:
    """The web service as Swarm holds it: its image and its spec's version."""
    found = engine.inspect(client, f"{checkout.stack}_web")[0]
    return {"image": found["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"], "version": found["Version"]["Index"]}


def replicas(client: Any, checkout: Checkout) -> list[dict[str, Any]]:
    """The running web replicas: their image and state."""
    ids = engine.ids(
        client, "service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running", f"{checkout.stack}_web"
    )
    return [
        {"image": t["Spec"]["ContainerSpec"]["Image"], "state": t["Status"]["State"]}
        for t in engine.inspect(client, *ids)
    ]


def ship(checkout: Checkout, name: str) -> str:
    """`inv build push` of the checkout's HEAD; the app's digest, which push ends with."""
    built = checkout.inv("build")
    assert built.returncode == 0, built.stderr[-2000:]
    pushed = checkout.inv("push")
    assert pushed.returncode == 0, pushed.stderr
    digest = pushed.stdout.strip().splitlines()[-1]
    assert "@sha256:" in digest
    RELEASES[name] = {"digest": digest}
    return digest


def served_revision(checkout: Checkout) -> str:
    return str(http("GET", f"{checkout.url}/version").json()["revision"])


def test_1_push_then_deploy_v1(cluster, checkout):
    digest = ship(checkout, "v1")
    deployed = checkout.inv("deploy")
    assert deployed.returncode == 0, deployed.stderr
    assert f"2/2 replicas on {digest.split('@')[1][:19]}" in deployed.stdout
    assert spec(cluster, checkout)["image"] == digest, "the stack runs the pushed image, pinned by digest"
    running = replicas(cluster, checkout)
    assert [r["image"] for r in running] == [digest, digest] and {r["state"] for r in running} == {"running"}
    assert http("GET", f"{checkout.url}/test").text == "test_endpoint_get"
    RELEASES["v1"]["revision"] = served_revision(checkout)


def test_2_the_secret_reaches_the_app_and_nowhere_else(cluster, checkout):
    value = Path(checkout.env["INVOKE_DOCKER_SECRET_KEY_FILE"]).read_text()
    ids = engine.ids(cluster, "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={checkout.stack}_web")
    replica = cluster.container.inspect(ids[0])
    # The key as the app reads it, compared by its hash: the value itself never leaves the replica.
    check = (
        "import hashlib; from service.config import from_environ; "
        "print(hashlib.sha256(from_environ()['SECRET_KEY'].encode()).hexdigest())"
    )
    assert sh(replica, f'python3 -c "{check}"').strip() == hashlib.sha256(value.encode()).hexdigest()
    seen = [
        engine.cli(cluster, "service", "inspect", f"{checkout.stack}_web"),
        engine.cli(cluster, "inspect", *ids),
        engine.cli(cluster, "history", "--no-trunc", RELEASES["v1"]["digest"]),
        engine.cli(cluster, "service", "logs", f"{checkout.stack}_web"),
        checkout.inv("logs", "--stack", "--tail", "100").stdout,
        checkout.inv("status").stdout,
    ]
    assert not [text for text in seen if value in text]


def test_3_rollback_before_any_other_release_is_refused(cluster, checkout):
    before = spec(cluster, checkout)
    result = checkout.inv("rollback")
    assert result.returncode == 1
    assert f"no release of {checkout.stack} before the one serving" in result.stderr
    assert spec(cluster, checkout) == before


def test_4_a_commit_never_pushed_cannot_be_deployed(cluster, checkout):
    head = checkout.commit("service/api.py", '"""The service\'s endpoints', '"""The service\'s endpoints (v2)', "v2")
    before = spec(cluster, checkout)
    result = checkout.inv("deploy")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: HEAD ({head[:7]}) was never pushed")
    assert spec(cluster, checkout) == before


def test_5_an_update_to_v2_drops_no_request(cluster, checkout, report):
    digest = ship(checkout, "v2")
    with traffic(f"{checkout.url}/test") as load:
        started = time.monotonic()
        deployed = checkout.inv("deploy")
        took = time.monotonic() - started
    assert deployed.returncode == 0, deployed.stderr
    report(f"update to v2 under load: {load.summary()}, converged {took:.0f}s after `inv deploy` began")
    assert load.figures["requests"] > 1000
    assert load.failed == 0, load.summary()
    assert [r["image"] for r in replicas(cluster, checkout)] == [digest, digest]
    RELEASES["v2"]["revision"] = served_revision(checkout)
    assert RELEASES["v2"]["revision"] != RELEASES["v1"]["revision"]


def test_6_a_release_that_never_turns_healthy_is_rolled_back_and_drops_no_request(cluster, checkout, report):
    checkout.commit(
        "service/config.py",
        '"MAINTENANCE_FILE": "/tmp/maintenance"',
        '"MAINTENANCE_FILE": "/etc/hostname"',
        "broken: /healthz answers 503",
    )
    broken = ship(checkout, "broken")
    with traffic(f"{checkout.url}/test") as load:
        started = time.monotonic()
        deployed = checkout.inv("deploy")
        took = time.monotonic() - started
    report(f"broken release under load: {load.summary()}, rolled back {took:.0f}s after `inv deploy` began")
    assert deployed.returncode == 1
    said = deployed.stderr.strip().splitlines()[-1]
    v2 = RELEASES["v2"]["digest"].split("@")[1][:19]
    assert said.startswith("error: Swarm rolled the update of web back (update rolled back due to failure"), said
    assert f"{v2}… (rev {RELEASES['v2']['revision'][:7]}) is serving" in said
    assert "unhealthy: HTTP/1.0 503" in said, "the failing replica's health check says why"
    assert load.failed == 0, load.summary()
    assert [r["image"] for r in replicas(cluster, checkout)] == [RELEASES["v2"]["digest"]] * 2
    assert broken not in [spec(cluster, checkout)["image"]]


def test_7_rollback_goes_back_to_v1_and_drops_no_request(cluster, checkout, report):
    with traffic(f"{checkout.url}/test") as load:
        rolled = checkout.inv("rollback")
    report(f"rollback to v1 under load: {load.summary()}")
    assert rolled.returncode == 0, rolled.stderr
    assert load.failed == 0, load.summary()
    assert served_revision(checkout) == RELEASES["v1"]["revision"]
    assert [r["image"] for r in replicas(cluster, checkout)] == [RELEASES["v1"]["digest"]] * 2


def test_8_a_second_deploy_while_one_runs_is_refused_and_ctrl_c_lets_go(cluster, checkout):
    first = checkout.popen("deploy", "--image", RELEASES["v2"]["digest"])
    deadline = time.monotonic() + 60
    while not engine.ids(cluster, "config", "ls", "-q", "--filter", f"name={checkout.stack}-deploy-lock"):
        assert first.poll() is None and time.monotonic() < deadline, "the first deploy never took the lock"
        time.sleep(0.2)
    second = checkout.inv("deploy", "--image", RELEASES["v2"]["digest"])
    if first.poll() is not None:
        out, err = first.communicate()
        pytest.fail(f"the first deploy ended (exit {first.returncode}) before the second tried: {out}{err}")
    assert second.returncode == 1, second.stderr
    assert f"another deploy of {checkout.stack} holds the lock" in second.stderr and "(pid " in second.stderr
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130
    assert "Swarm goes on" in err
    assert not engine.ids(cluster, "config", "ls", "-q", "--filter", f"name={checkout.stack}-deploy-lock")
    again = checkout.inv("deploy", "--image", RELEASES["v2"]["digest"])  # waits for what Swarm went on with
    assert again.returncode == 0, again.stderr


def test_9_slow_clients_at_the_edge_do_not_stop_normal_requests(checkout, report):
    stop = threading.Event()

    def slow_client() -> None:
        """A header line every 2 s, never finishing; when cut, it comes back."""
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", checkout.port), timeout=5) as conn:
                    conn.sendall(b"GET /test HTTP/1.1\r\nHost: x\r\n")
                    while not stop.wait(2):
                        conn.sendall(b"X-Slow: 1\r\n")
            except OSError:
                stop.wait(0.5)

    clients = [threading.Thread(target=slow_client, daemon=True) for _ in range(200)]
    for client in clients:
        client.start()
    answered = failed = 0
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            try:
                answered += http("GET", f"{checkout.url}/test", timeout=10).status == 200
            except OSError:
                failed += 1
            time.sleep(0.1)
    finally:
        stop.set()
    report(f"200 slow clients for 30 s: {answered} normal requests answered, {failed} failed")
    assert answered > 100 and failed == 0


@pytest.mark.parametrize("case", ["registry down", "not logged in", "unknown digest"])
def test_10_what_cannot_be_had_is_one_line_and_changes_nothing(cluster, checkout, case):
    before = spec(cluster, checkout)
    if case == "registry down":
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
        unknown = RELEASES["v1"]["digest"].split("@")[0] + "@sha256:" + "0" * 64
        results = [checkout.inv("deploy", "--image", unknown)]
        expected = "is not in its registry"
    for result in results:
        assert result.returncode == 1
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and expected in last, result.stderr
        assert "Traceback" not in result.stderr
    assert spec(cluster, checkout) == before, "nothing changed in the cluster"


def test_11_undeploy_leaves_nothing_of_the_stack(cluster, checkout):
    result = checkout.inv("undeploy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"removed {checkout.stack}: 3 services, 1 network")
    label = f"label={STACK_LABEL}={checkout.stack}"
    for kind in ("service", "secret", "network"):
        assert engine.ids(cluster, kind, "ls", "-q", "--filter", label) == [], kind
    assert engine.ids(cluster, "ps", "-aq", "--filter", label) == []
    assert engine.ids(cluster, "config", "ls", "-q", "--filter", f"name={checkout.stack}") == [], "history and lock"
