"""The cluster itself, before any scenario leans on it: three Swarm managers made of containers,
reached from the host as a user's tools reach them (the docker CLI and python-on-whales over SSH),
a registry the host and every node know by one name, overlay DNS and host-mode ports across nodes,
and the fault helpers the scenarios will call."""

from __future__ import annotations

import io
import subprocess
import tarfile
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from tests.cluster import swarm
from tests.cluster.engines import docker
from tests.cluster.models import EDGE_PORT, NODES, Cluster, Run, SwarmNode
from tooling.core.waiting import wait_until

NODE_NAMES = [f"node{index}" for index in range(1, NODES + 1)]
PROBE_PORT = 8000  # where the probe service's busybox httpd listens in each task


def over_ssh(cluster: Cluster, node: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`docker --host ssh://NODE ARGS...` from the host, with only the cluster's env to find the node
    (in a session of its own, as engines.docker runs its commands: a Ctrl-C stops the test, not it)."""
    command = ["docker", "--host", cluster.node(node).url, *args]
    return subprocess.run(
        command,
        env=dict(cluster.env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )


def cli(cluster: Cluster, node: str, *args: str) -> str:
    """What `docker --host ssh://NODE ARGS...` prints; the test fails, with the CLI's words, if it fails."""
    done = over_ssh(cluster, node, *args)
    assert done.returncode == 0, f"`docker -H ssh://{node} {' '.join(args)}` failed: {done.stderr.strip()}"
    return done.stdout.strip()


def test_three_managers_are_ready_and_reachable_from_the_host_over_ssh(cluster):
    listed = cli(cluster, "node1", "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}")
    rows = sorted(line.split() for line in listed.splitlines())
    assert [row[0] for row in rows] == NODE_NAMES
    assert all(status == "Ready" for _, status, _ in rows), rows
    assert sorted(manager for _, _, manager in rows) == ["Leader", "Reachable", "Reachable"], rows


def test_python_on_whales_reaches_a_manager_over_ssh(cluster, monkeypatch):
    from python_on_whales import DockerClient

    monkeypatch.setenv("PATH", cluster.env["PATH"])  # python-on-whales runs `docker`, which runs `ssh`
    client = DockerClient(host=cluster.manager.url)
    assert client.info().name == cluster.manager.hostname
    seen = {str(node.description.hostname): node for node in client.node.list()}
    assert sorted(seen) == NODE_NAMES
    for node in seen.values():
        assert node.status.state == "ready"
        assert node.manager_status is not None
        assert node.manager_status.reachability == "reachable"


@pytest.mark.parametrize("name", NODE_NAMES)
def test_each_alias_reaches_its_own_node_whose_engine_is_trixies_26(cluster, name):
    node = cluster.node(name)
    assert cli(cluster, name, "info", "--format", "{{.Name}}") == node.hostname
    version = cli(cluster, name, "version", "--format", "{{.Server.Version}}")
    assert version.startswith("26."), version
    host = docker("version", "--format", "{{.Server.Version}}")
    assert host != version, "the host's own engine answered, not the node's"


def test_an_image_pushed_from_the_host_is_pulled_by_a_node_under_the_same_name(cluster):
    reference = f"{cluster.registry}/push-check:{uuid.uuid4().hex[:8]}"
    # A one-file image of this test's own: its layer cannot be in any node already.
    labels = [f"--change=LABEL {key}={value}" for key, value in Run(cluster.run).labels.items()]
    docker("import", *labels, "-", reference, input=_one_file_tar(reference.encode()))
    try:
        docker("push", "--quiet", reference)
        pushed = docker("image", "inspect", "--format", "{{index .RepoDigests 0}}", reference)
    finally:
        docker("image", "rm", reference)
    cli(cluster, "node3", "pull", "--quiet", reference)
    assert cli(cluster, "node3", "image", "inspect", "--format", "{{index .RepoDigests 0}}", reference) == pushed


def _one_file_tar(content: bytes) -> bytes:
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        entry = tarfile.TarInfo("content")
        entry.size = len(content)
        tar.addfile(entry, io.BytesIO(content))
    return archive.getvalue()


@pytest.fixture(scope="module")
def probe(cluster: Cluster) -> Iterator[str]:
    """A global service on an attachable overlay, with dnsrr and a host-mode port: on every node, a
    busybox httpd answering with the node's hostname on PROBE_PORT, published on the node's EDGE_PORT."""
    name = "probe"
    cli(cluster, "node1", "network", "create", "--driver", "overlay", "--attachable", name)
    serve = f"mkdir -p /www && hostname > /www/index.html && exec httpd -f -p {PROBE_PORT} -h /www"
    try:
        cli(
            cluster, "node1", "service", "create", "--detach", "--name", name, "--mode", "global",
            "--network", name, "--endpoint-mode", "dnsrr", "--hostname", "{{.Node.Hostname}}", "--init",
            "--publish", f"mode=host,target={PROBE_PORT},published={EDGE_PORT}",
            cluster.busybox, "sh", "-c", serve,
        )  # fmt: skip
        wait_until(
            lambda: (
                cli(cluster, "node1", "service", "ls", "--filter", f"name={name}", "--format", "{{.Replicas}}")
                == f"{len(cluster.nodes)}/{len(cluster.nodes)}"
            ),
            timeout=60,
            interval=0.5,
        )
        yield name
    finally:
        over_ssh(cluster, "node1", "service", "rm", name)
        # The network goes once the service's tasks have left it.
        wait_until(lambda: over_ssh(cluster, "node1", "network", "rm", name).returncode == 0, timeout=30, interval=0.5)


def test_a_dnsrr_name_resolves_to_replicas_on_other_nodes_over_the_overlay(cluster, probe):
    # From a container on node1, fetch by name until the replicas of node2 and node3 have answered.
    fetch = f"for i in $(seq 20); do wget -qO- http://{probe}:{PROBE_PORT}/; done"
    answers = cli(cluster, "node1", "run", "--rm", "--network", probe, cluster.busybox, "sh", "-c", fetch)
    assert {"node2", "node3"} <= set(answers.split()), answers
    lookup = cli(cluster, "node1", "run", "--rm", "--network", probe, cluster.busybox, "nslookup", probe)
    addresses = [line.split()[-1] for line in lookup.splitlines() if line.startswith("Address") and ":53" not in line]
    assert len(addresses) == len(cluster.nodes), lookup


@pytest.mark.parametrize("name", NODE_NAMES)
def test_a_host_mode_port_answers_from_the_host_through_the_nodes_edge_port(cluster, probe, name):
    node = cluster.node(name)

    def answer() -> str | None:
        try:
            with urllib.request.urlopen(node.edge_url, timeout=5) as response:
                return response.read().decode().strip()
        except OSError:
            return None

    assert wait_until(answer, timeout=30, interval=0.5) == node.hostname


def test_fault_helpers_change_what_swarm_sees_and_undo_it(cluster, probe):
    node2, node3 = cluster.node("node2"), cluster.node("node3")
    swarm.drain(cluster, node3)
    assert _row(cluster, "node3").availability == "Drain"
    swarm.activate(cluster, node3)
    swarm.demote(cluster, node2)
    assert _row(cluster, "node2").manager == ""
    swarm.promote(cluster, node2)
    swarm.kill(cluster, node3)
    assert (_row(cluster, "node3").status, _row(cluster, "node3").manager) == ("Down", "Unreachable")
    swarm.revive(cluster, node3)
    for row in swarm.nodes(cluster):
        assert (row.status, row.availability) == ("Ready", "Active"), row
        assert row.manager in ("Leader", "Reachable"), row


def _row(cluster: Cluster, hostname: str) -> SwarmNode:
    return next(n for n in swarm.nodes(cluster) if n.hostname == hostname)
