"""The stack when nodes come and go, under constant traffic through the edges of the nodes that stay
up (a new connection per request, no retry, each request given up after 5 s): a rolling update, a
node drained, a node lost abruptly, and deploying and rolling back while it is still down."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.cluster import swarm
from tests.cluster.models import Cluster, Node
from tests.shipping import Checkout
from tests.traffic import traffic
from tooling.core.waiting import wait_until
from tooling.engine.client import cli

LOST = "node3"  # a follower: its loss leaves the leader and the quorum in place


def through_the_others(cluster: Cluster, lost: str = LOST) -> list[str]:
    return [f"{node.edge_url}/test" for node in cluster.nodes if node.hostname != lost]


def test_a_rolling_update_across_the_nodes_drops_no_request(cluster: Cluster, checkout: Checkout, report):
    checkout.serve("v1")
    release = checkout.ship("v2")
    with traffic(*through_the_others(cluster), timeout=5) as load:
        deployed = checkout.inv("deploy")
    assert deployed.returncode == 0, deployed.stderr
    said = f"{load.summary()}, {load.seconds:.0f}s in all, analysis included"
    report(f"cluster: rolling update v1 -> v2 of 3 replicas: {said}")
    assert load.requests > 1000 and load.failed == 0, load.summary()
    assert [r["image"] for r in checkout.replicas()] == [release.digest] * 3


def test_a_drained_node_s_replica_moves_and_no_request_fails(cluster: Cluster, checkout: Checkout, report):
    checkout.serve("v1")
    node = cluster.node(LOST)
    one_on_each_node(checkout)
    try:
        with traffic(*through_the_others(cluster), timeout=5) as load:
            started = time.monotonic()
            swarm.drain(cluster, node)
            wait_until(lambda: replicas_away_from(checkout, node) == 3, timeout=90, interval=0.5)
            took = time.monotonic() - started
        report(f"cluster: {LOST} drained: {load.summary()}, 3 replicas on the others {took:.0f}s later")
        assert load.failed == 0, load.summary()
    finally:
        swarm.activate(cluster, node)


def one_on_each_node(checkout: Checkout) -> None:
    """One replica on every node, as a deploy places them, whatever a drain or a loss moved before:
    down to one replica and back to three, which the spread preference puts one on each node (no
    replica stops that serves; nothing is measured meanwhile)."""
    service = f"{checkout.stack}_web"
    if len({r["node"] for r in checkout.replicas() if r["state"] == "running"}) == 3:
        return
    for count in ("1", "3"):
        cli(checkout.manager, "service", "update", "--detach", "--replicas", count, service)
    spread = lambda: len({r["node"] for r in checkout.replicas() if r["state"] == "running"}) == 3  # noqa: E731
    wait_until(spread, timeout=90, interval=0.5)


def replicas_away_from(checkout: Checkout, node: Node) -> int:
    """Running replicas on any node but ``node``."""
    ids = {n["ID"]: n["Description"]["Hostname"] for n in node_json(checkout)}
    return sum(1 for r in checkout.replicas() if r["state"] == "running" and ids.get(r["node"]) != node.hostname)


def node_json(checkout: Checkout) -> list[dict]:
    from tooling.engine.client import ids, inspect

    return inspect(checkout.manager, *ids(checkout.manager, "node", "ls", "-q"))


@pytest.fixture(scope="module")
def lost(cluster: Cluster, checkout: Checkout) -> Iterator[Node]:
    """node3 killed abruptly (its engine dies with its container) under traffic through the others;
    brought back once the module is done."""
    checkout.serve("v1")
    node = cluster.node(LOST)
    one_on_each_node(checkout)
    assert replicas_away_from(checkout, node) == 2, f"a replica runs on {LOST} before it is lost"
    with traffic(*through_the_others(cluster), timeout=5) as load:
        killed = time.monotonic()
        swarm.kill(cluster, node, wait=False)
        wait_until(lambda: replicas_away_from(checkout, node) == 3, timeout=120, interval=0.5)
        back = time.monotonic() - killed
    LOSS[:] = [load, back]
    try:
        yield node
    finally:
        swarm.revive(cluster, node)


LOSS: list = []  # what the loss cost: the traffic's figures and the seconds back to full replicas


def test_a_lost_node_costs_at_most_the_requests_in_flight_there(lost: Node, report):
    load, back = LOSS
    report(
        f"cluster: {LOST} lost: {load.summary()}, at most {load.worst_client} failed for one client, "
        f"3 replicas on the others {back:.0f}s after the kill"
    )
    assert load.worst_client <= 2, load.summary()
    assert load.requests > 500, "the edges on the other nodes kept answering"
    assert back <= 90, f"back to 3 replicas {back:.0f}s after the kill"


def test_deploy_and_rollback_work_while_a_node_is_down_and_drop_no_request(
    cluster: Cluster, checkout: Checkout, lost: Node, report
):
    release = checkout.ship("v2")
    with traffic(*through_the_others(cluster), timeout=5) as load:
        deployed = checkout.inv("deploy")
    assert deployed.returncode == 0, deployed.stderr
    report(f"cluster: deploy v2 with {LOST} down: {load.summary()}")
    assert load.failed == 0, load.summary()
    assert [r["image"] for r in checkout.replicas() if r["state"] == "running"] == [release.digest] * 3
    with traffic(*through_the_others(cluster), timeout=5) as load:
        rolled = checkout.inv("rollback")
    assert rolled.returncode == 0, rolled.stderr
    report(f"cluster: rollback to v1 with {LOST} down: {load.summary()}")
    assert load.failed == 0, load.summary()
    assert checkout.served_revision(f"{cluster.node('node1').edge_url}") == checkout.releases["v1"].commit
