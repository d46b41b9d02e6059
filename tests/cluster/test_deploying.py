"""Deploying to a swarm elsewhere, as a user does from a laptop: `inv build push` on this machine's
engine, `inv deploy`, `status` and `doctor` through `docker.manager=ssh://node1` (Engine 26, while
this machine runs 20.10), and each manager that cannot be had as one line that changes nothing."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from tests.cluster import swarm
from tests.cluster.models import Cluster
from tests.engine import http
from tests.shipping import Checkout, free_port


def test_a_deploy_through_a_manager_spreads_one_replica_on_each_node(cluster: Cluster, checkout: Checkout, report):
    release = checkout.ship("v1")
    started = time.monotonic()
    deployed = checkout.inv("deploy")
    took = time.monotonic() - started
    assert deployed.returncode == 0, deployed.stderr
    report(f"cluster: first deploy of 3 replicas through ssh://node1 took {took:.0f}s")
    said = deployed.stdout.strip().splitlines()[-1]
    for node in cluster.nodes:
        assert f"http://{node.ip}:8080 ({node.hostname})" in said, "where the edge answers, as Swarm knows each node"
    assert "127.0.0.1" not in said, "never this machine's loopback: the manager is elsewhere"
    running = checkout.replicas()
    assert [r["image"] for r in running] == [release.digest] * 3
    assert len({r["node"] for r in running}) == 3, "one replica on each node"
    for node in cluster.nodes:
        assert http("GET", f"{node.edge_url}/test").text == "test_endpoint_get", node.hostname
    assert checkout.served_revision(cluster.nodes[2].edge_url) == release.commit


def test_status_shows_every_node_with_its_role_engine_and_edge(cluster: Cluster, checkout: Checkout):
    checkout.serve("v1")
    result = checkout.inv("status")
    assert result.returncode == 0, result.stderr
    assert f"stack {checkout.stack} (swarm, through the manager ssh://node1):" in result.stdout
    lines = result.stdout.splitlines()
    table = lines[lines.index("nodes:") + 1 :]
    assert table[0].split() == ["NODE", "ROLE", "AVAILABILITY", "STATE", "ADDRESS", "ENGINE", "EDGE"]
    rows = {row.split()[0]: row.split() for row in table[1:4]}
    assert sorted(rows) == ["node1", "node2", "node3"]
    assert sorted(row[1] for row in rows.values()) == ["leader", "manager", "manager"]
    for node in cluster.nodes:
        assert rows[node.hostname][2:5] == ["active", "ready", node.ip]
        assert re.fullmatch(r"26\.\d+\.\d+.*", rows[node.hostname][5]), "trixie's engine, not this machine's"
        assert rows[node.hostname][6] == "healthy", "its edge"
    replicas = [line.split() for line in lines if line.startswith(f"{checkout.stack}_web.")]
    assert sorted(r[1] for r in replicas) == ["node1", "node2", "node3"]


def test_doctor_checks_the_swarm_through_the_manager(cluster: Cluster, checkout: Checkout):
    result = checkout.inv("doctor")
    out = result.stdout
    assert "ok    manager        ssh://node1 answers and manages the swarm" in out, out
    assert "ok    nodes          3 of 3 ready" in out
    assert "ok    quorum         3 of 3 managers reachable" in out
    assert re.search(r"ok    engines        node1 26\.\S+, node2 26\.\S+, node3 26\.\S+", out)
    assert f"ok    registry (manager) {checkout.env['INVOKE_DOCKER_REGISTRY']} answers the manager" in out
    assert "stack port" not in out, "this machine's ports say nothing of the nodes'"


@pytest.fixture
def silent_host():
    """A TCP port that accepts connections and never says a word: an SSH host that never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.parametrize(
    ("case", "said"),
    [
        # The docker CLI says ssh's own words (Connection refused), or, when ssh ends before the CLI
        # wrote to it, only "broken pipe": either way, the line says where to look.
        ("refused", "check the address, that the host is up and sshd runs there: `ssh -p"),
        ("never answers", "does not answer"),
        ("no such context", "no Docker context is called no-such-context"),
        ("a worker", "is a swarm worker, not a manager; point docker.manager at a manager"),
    ],
)
def test_a_manager_that_cannot_be_had_is_one_line_and_changes_nothing(
    cluster: Cluster, checkout: Checkout, silent_host, report, case, said
):
    checkout.serve("v1")
    before = checkout.serving()
    manager = {
        "refused": f"ssh://root@127.0.0.1:{free_port()}",
        "never answers": f"ssh://root@127.0.0.1:{silent_host}",
        "no such context": "no-such-context",
        "a worker": "ssh://node3",
    }[case]
    # A host that never answers costs its bound on each task: one task shows it.
    tasks = ["deploy"] if case == "never answers" else ["deploy", "rollback", "undeploy"]
    if case == "a worker":
        swarm.demote(cluster, cluster.node("node3"))
    try:
        started = time.monotonic()
        results = [checkout.inv(task, INVOKE_DOCKER_MANAGER=manager) for task in tasks]
        took = time.monotonic() - started
    finally:
        if case == "a worker":
            swarm.promote(cluster, cluster.node("node3"))
    report(f"cluster: manager {case}: {len(tasks)} task(s) refused in {took:.0f}s")
    for result in results:
        assert result.returncode == 1
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and said in line, line
    assert took < len(tasks) * 50, "each in bounded time"
    assert checkout.serving() == before, "nothing changed on the swarm"
