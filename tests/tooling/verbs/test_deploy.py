"""inv deploy and inv rollback against Swarm's answers played back: what they wait for, what they
say, and that a failure changes nothing, records nothing and always lets go of the lock."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.tooling.stack import EDGE, EDGE_UP, HEAD, MONITOR, REGISTRY, UPDATING, V1, V2, in_registry, running, web
from tooling.core.errors import ToolError
from tooling.core.settings import DEFAULTS, Settings
from tooling.models.release import Recorded, Release
from tooling.models.swarm import Task, Update
from tooling.verbs.deploy import secret


def test_deploy_waits_until_every_replica_serves_the_pushed_digest(cluster, inv):
    swarm, history = cluster
    swarm.script = {
        "web": [
            web(running(V1, 1), running(V1, 2), update=UPDATING),
            web(running(V2, 1), update=UPDATING),
            web(running(V2, 1), running(V2, 2), update=UPDATING),
            web(running(V2, 1), running(V2, 2), update=Update("completed", UPDATING.started)),
        ],
        "edge": [EDGE_UP],
    }
    result = inv("deploy")
    assert result.code == 0, result.err
    assert swarm.plans[0].variables["WEB_IMAGE"] == V2, "pinned by the digest the registry holds for HEAD"
    assert "1/2 web replicas on sha256:bbbbbbbbbbbb… healthy; updating" in result.err, "a live line while it waits"
    assert (
        result.out.strip()
        .splitlines()[-1]
        .startswith("flask-service: 2/2 replicas on sha256:bbbbbbbbbbbb… (rev 1234567) healthy")
    )
    assert history.records[0].release == Release(V2, EDGE, HEAD, MONITOR), "the release that served is recorded"
    assert history.lock is None
    assert swarm.observed == 4 + 1 + 1, "the edge and the monitor, converged at the first look, are not asked again"


def test_a_rolled_back_update_is_one_line_that_names_what_serves_and_why(cluster, inv):
    swarm, history = cluster
    dead = Task(id="bad", node="n1", image=V2, state="complete", desired="shutdown", container="c1")
    reason = "update rolled back due to failure or early termination of task bad"
    swarm.script = {
        "web": [
            web(running(V1, 1), update=UPDATING),
            web(running(V1, 1), image=V1, update=Update("rollback_started", UPDATING.started, reason), ended=[dead]),
            web(
                running(V1, 1),
                running(V1, 2),
                image=V1,
                update=Update("rollback_completed", UPDATING.started, "rollback completed"),
                ended=[dead],
            ),
        ],
        "edge": [EDGE_UP],
    }
    swarm.serving_image = V1
    result = inv("deploy")
    assert result.code == 1
    assert result.err.strip().splitlines()[-1] == (
        f"error: Swarm rolled the update of web back ({reason}): sha256:aaaaaaaaaaaa… (rev 7654321) is serving; "
        "the failing replica's last health check: unhealthy: HTTP/1.0 503 SERVICE UNAVAILABLE"
    )
    assert [r.release.web for r in history.records] == [V1], "a rolled-back release is never recorded"
    assert history.lock is None


def test_ctrl_c_while_waiting_exits_130_lets_go_of_the_lock_and_says_swarm_goes_on(cluster, inv):
    swarm, history = cluster
    swarm.script = {"web": [web(running(V1, 1), update=UPDATING)], "edge": [EDGE_UP]}
    swarm.interrupt_after = 3
    result = inv("deploy")
    assert result.code == 130
    assert "Swarm goes on with flask-service" in result.err and "inv status" in result.err
    assert history.lock is None and len(history.records) == 1


def test_a_deploy_that_does_not_converge_in_time_says_so(cluster, inv, monkeypatch, fast_clock):
    swarm, history = cluster
    swarm.script = {"web": [web(running(V1, 1), update=UPDATING)], "edge": [EDGE_UP]}
    monkeypatch.setenv("INVOKE_DOCKER_DEPLOY_TIMEOUT", "5")
    fast_clock(2.0)
    result = inv("deploy")
    assert result.code == 1
    assert "did not converge within 5s (0/2 web replicas on sha256:bbbbbbbbbbbb… healthy; updating)" in result.err
    assert history.lock is None


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("never pushed", "HEAD (1234567) was never pushed to 127.0.0.1:5001/team; run `inv build push` first"),
        ("unknown digest", "is not in its registry"),
        ("no edge", "the edge of this checkout"),
        ("registry down", "the registry 127.0.0.1:5001 does not answer"),
        ("no registry", "no registry is set"),
        ("locked", "holds the lock"),
    ],
)
def test_deploy_failures_are_one_line_and_change_nothing(cluster, inv, fake_docker, monkeypatch, setup, message):
    swarm, history = cluster
    args = ["deploy"]
    if setup == "never pushed":
        del fake_docker.registry[f"{REGISTRY}/flask-service:1234567"]
    if setup == "unknown digest":
        args += ["--image", f"{REGISTRY}/flask-service@sha256:" + "d" * 64]
    if setup == "no edge":
        fake_docker.registry = {k: v for k, v in fake_docker.registry.items() if "-edge:" not in k}
    if setup == "registry down":
        fake_docker.registry_error = "dial tcp 127.0.0.1:5001: connect: connection refused"
    if setup == "no registry":
        monkeypatch.delenv("INVOKE_DOCKER_REGISTRY")
    if setup == "locked":
        history.lock = "someone@elsewhere (pid 1)"
    result = inv(*args)
    assert result.code == 1
    assert message in result.err and len(result.err.strip().splitlines()) == 1
    assert swarm.plans == [], "nothing reached the swarm"


@pytest.mark.parametrize(
    ("state", "manager", "message"),
    [
        ("inactive", False, "this engine is not in a swarm (its state: inactive); start one with `docker swarm init`"),
        ("active", False, "this engine is a swarm worker, not a manager; point docker.manager at a manager"),
    ],
)
def test_deploy_needs_a_swarm_manager(fake_docker, inv, monkeypatch, state, manager, message):
    """Against the fake client (the engine of a test machine is shared): the real Swarm reads `docker info`."""
    monkeypatch.setattr("tooling.engine.git.head", lambda: HEAD)
    monkeypatch.setenv("INVOKE_DOCKER_REGISTRY", REGISTRY)
    fake_docker.registry[f"{REGISTRY}/flask-service:1234567"] = V2.split("@")[1]
    in_registry(fake_docker)
    fake_docker.swarm_state, fake_docker.swarm_manager = state, manager
    for task in (["deploy"], ["rollback"], ["undeploy"], ["logs", "--stack"]):
        result = inv(*task)
        assert result.code == 1, task
        assert message in result.err, task


def test_rollback_redeploys_the_release_before_the_one_serving(cluster, inv):
    swarm, history = cluster
    history.records.insert(0, Recorded(Release(V2, EDGE, HEAD, MONITOR), "2026-11-26T00:00:00Z", "me", "r1"))
    swarm.serving_image = V2
    swarm.script = {"web": [web(running(V1, 1), running(V1, 2), image=V1)], "edge": [EDGE_UP]}
    result = inv("rollback")
    assert result.code == 0, result.err
    assert swarm.plans[0].variables["WEB_IMAGE"] == V1
    assert history.records[0].release.web == V1, "the rollback is a release of its own"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [],
            "no release of flask-service before the one serving; "
            "the releases it served: sha256:aaaaaaaaaaaa… (rev 7654321)",
        ),
        (["--to", "fedcba9"], "no release of flask-service matches 'fedcba9'"),
    ],
)
def test_rollback_without_a_release_to_go_to_is_one_line(cluster, inv, args, message):
    swarm, _ = cluster
    result = inv("rollback", *args)
    assert result.code == 1 and message in result.err
    assert swarm.plans == []


def test_rollback_of_nothing_deployed(cluster, inv):
    swarm, _ = cluster
    swarm.serving_image = None
    result = inv("rollback")
    assert result.code == 1 and "flask-service is not deployed; there is nothing to roll back" in result.err


@pytest.fixture
def settings():
    return Settings.load({**DEFAULTS, "registry": REGISTRY})


@pytest.mark.parametrize(("content", "message"), [(None, "is not a file"), ("  \n", "is empty")])
def test_a_missing_or_empty_secret_file_is_one_line(settings, tmp_path, content, message):
    key = tmp_path / "key"
    if content is not None:
        key.write_text(content)
    with pytest.raises(ToolError, match=message):
        secret(settings.override(secret_key_file=str(key)))


def test_no_secret_file_means_no_secret(settings):
    assert secret(settings) is None


def test_deploy_says_where_the_time_went_by_swarms_own_clock(cluster, inv):
    swarm, _ = cluster
    now = datetime.now(UTC)

    def at(seconds, state):
        when = (now + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return Task("t1", "n1", V2, state, "running", created=(now + timedelta(seconds=1)).isoformat(), since=when)

    done = Update("completed", UPDATING.started, completed=(now + timedelta(seconds=9)).isoformat())
    swarm.script = {
        "web": [web(at(3, "starting"), update=UPDATING), web(at(4, "running"), update=done)],
        "edge": [EDGE_UP],
    }
    result = inv("deploy", "--replicas", "1")
    assert result.code == 0, result.err
    took = next(line for line in result.out.splitlines() if line.startswith("took: "))
    assert "pull and create 2.0s, start to healthy 1.0s, monitor 5.0s" in took, took
