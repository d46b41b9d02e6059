"""inv top: the stack now, from its monitor, per release and per replica; one line without either."""

import pytest

from tests.tooling.stack import EDGE_UP, V1, V2, web
from tooling.models.swarm import Task


def replica(image, slot, address):
    return Task(f"t{slot}", "n1", image, "running", "running", slot=slot, networks={"flask-service_backend": address})


def vector(*rows):
    return [{"metric": labels, "value": [0, str(value)]} for labels, value in rows]


@pytest.fixture
def stack(cluster, fake_docker):
    swarm, _ = cluster
    swarm.script = {
        "web": [web(replica(V1, 1, "10.0.0.5"), replica(V1, 2, "10.0.0.6"), replica(V2, 3, "10.0.0.7"))],
        "edge": [EDGE_UP],
    }
    a, b, c = "10.0.0.5:9464", "10.0.0.6:9464", "10.0.0.7:9464"
    fake_docker.prometheus.vectors = {
        "http_server_requests_total": vector(
            ({"instance": a, "status": "200"}, 90), ({"instance": a, "status": "500"}, 10),
            ({"instance": b, "status": "200"}, 100), ({"instance": c, "status": "200"}, 50),
        ),
        "bucket": vector(
            *[({"instance": i, "le": le}, n) for i in (a, b) for le, n in (("0.005", 50), ("0.01", 99), ("+Inf", 100))],
            *[({"instance": c, "le": le}, n) for le, n in (("0.005", 0), ("0.01", 50), ("+Inf", 50))],
        ),
        "in_flight": vector(({"instance": a}, 2), ({"instance": c}, 1)),
        "restarts": vector(({"instance": b}, 3)),
    }  # fmt: skip
    return swarm


def test_once_prints_each_release_summed_then_its_replicas(stack, inv, fake_docker):
    result = inv("top", "--once")
    assert result.code == 0, result.err
    lines = [line.split() for line in result.out.strip().splitlines()]
    assert lines[0] == ["REPLICA", "RELEASE", "REQ/S", "5XX", "P50", "MS", "P99", "MS", "IN", "FLIGHT", "RESTARTS"]
    assert lines[1] == [
        "all",
        "2",
        "sha256:aaaaaaaaaaaa…",
        "(rev",
        "7654321)",
        "200.0",
        "5.0%",
        "5.0",
        "10.0",
        "2",
        "3",
    ]
    assert lines[2] == ["flask-service_web.1", "100.0", "10.0%", "5.0", "10.0", "2", "0"]
    assert lines[3] == ["flask-service_web.2", "100.0", "0.0%", "5.0", "10.0", "0", "3"]
    assert lines[4] == ["all", "1", "sha256:bbbbbbbbbbbb…", "50.0", "0.0%", "7.5", "10.0", "1", "0"]
    assert fake_docker.prometheus.probes == [], "the probe went with the task"


def test_no_stack_and_no_monitor_are_one_line_each(stack, inv):
    stack.monitor_image = None
    result = inv("top", "--once")
    assert result.code == 1 and result.err.strip() == (
        "error: flask-service has no monitor to ask; `inv push` and `inv deploy` give it one"
    )
    stack.serving_image = None
    result = inv("top")
    assert result.code == 1 and "flask-service is not deployed on this swarm; there is nothing to watch" in result.err


def test_without_once_it_draws_again_until_ctrl_c(stack, inv, monkeypatch):
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", sleep)
    result = inv("top")
    assert result.code == 0, "Ctrl-C is how it ends"
    assert result.out.count("REPLICA") == 2 and naps == [2, 2]
