"""inv deploy and inv rollback against Swarm's answers played back: what they wait for, what they
say, and that a failure changes nothing, records nothing and always lets go of the lock."""

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


def test_status_shows_each_replica_of_the_stack_with_its_revision(cluster, inv):
    swarm, _ = cluster
    swarm.script = {"web": [web(running(V1, 1), running(V1, 2), image=V1)], "edge": [EDGE_UP]}
    result = inv("status")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "stack flask-service (swarm, through this engine):" in lines
    header = lines.index("stack flask-service (swarm, through this engine):") + 1
    assert lines[header].split() == ["REPLICA", "NODE", "STATE", "HEALTH", "IMAGE", "REVISION", "AGE"]
    assert lines[header + 1].split()[1:6] == ["node-1", "running", "healthy", "sha256:aaaaaaaaaaaa…", "7654321"]
    assert "flask-service_web: last update completed" in result.out
    nodes = lines.index("nodes:") + 1
    assert lines[nodes].split() == ["NODE", "ROLE", "AVAILABILITY", "STATE", "ADDRESS", "ENGINE", "EDGE"]
    assert lines[nodes + 1].split() == ["node-1", "leader", "active", "ready", "10.0.0.5", "26.1.5", "healthy"]


def test_undeploy_waits_for_the_containers_and_forgets_the_history(cluster, inv):
    _, history = cluster
    result = inv("undeploy")
    assert result.code == 0, result.err
    assert result.out.strip() == "removed flask-service: 2 services, 1 network, 1 config"
    assert "removing flask-service: 2 services, 1 network left, replicas stopping" in result.err, "a live line"
    assert history.records == [] and history.lock is None
    again = inv("undeploy")
    assert again.code == 0 and "flask-service is not deployed: nothing to remove" in again.out


def test_undeploy_says_what_would_not_go(cluster, inv, fast_clock):
    swarm, history = cluster
    swarm.stuck_networks = ["flask-service_backend"]  # a container of another stack still attached, say
    fast_clock(30.0)
    result = inv("undeploy")
    assert result.code == 1
    assert result.err.strip().splitlines()[-1] == (
        "error: flask-service still has 1 network after 300s (a container outside the stack may use it: "
        "`docker network inspect flask-service_backend`); run `inv undeploy` again"
    )
    assert history.lock is None


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


# --- a release judged by its own traffic ----------------------------------------------------------

SERVED = {"web": [web(running(V2, 1), running(V2, 2))], "edge": [EDGE_UP]}


def test_a_release_whose_5xx_share_is_too_high_is_rolled_back_and_never_counts(cluster, inv, fake_docker):
    swarm, history = cluster
    swarm.script = {
        "web": [web(running(V2, 1), running(V2, 2)), web(running(V1, 1), running(V1, 2), image=V1)],
        "edge": [EDGE_UP],
    }
    fake_docker.prometheus.requests, fake_docker.prometheus.errors = [1000, 1500], [10, 210]
    result = inv("deploy")
    assert result.code == 1
    assert result.err.strip().splitlines()[-1] == (
        "error: sha256:bbbbbbbbbbbb… (rev 1234567) answered 40.0% 5xx over 500 requests in 30s, above "
        "docker.max_error_ratio (1.0%): rolled back; sha256:aaaaaaaaaaaa… (rev 7654321) serves again"
    )
    assert [plan.variables["WEB_IMAGE"] for plan in swarm.plans] == [V2, V1], "back by the same path"
    assert [r.release.web for r in history.records] == [V1], "the failed release never counts as having served"
    assert fake_docker.prometheus.probes == [] and len(fake_docker.prometheus.started) == 1, "its probe went"
    assert "judging the release by its traffic: 500 requests, 200 5xx" in result.err, "a live line meanwhile"
    assert history.lock is None


def test_a_release_that_passes_says_so_with_its_figures(cluster, inv, fake_docker):
    swarm, history = cluster
    swarm.script = SERVED
    fake_docker.prometheus.requests, fake_docker.prometheus.errors = [0, 400], [0, 2]
    result = inv("deploy")
    assert result.code == 0, result.err
    assert "judged by its own traffic: 0.5% 5xx over 400 requests in 30s, passed" in result.out
    assert history.records[0].release.web == V2 and len(swarm.plans) == 1


def test_too_little_traffic_to_judge_is_a_pass_with_a_warning(cluster, inv, fake_docker, monkeypatch):
    swarm, history = cluster
    swarm.script = SERVED
    monkeypatch.setenv("INVOKE_DOCKER_ANALYSIS_SECONDS", "10")
    fake_docker.prometheus.requests, fake_docker.prometheus.errors = [0, 40], [0, 40]
    result = inv("deploy")
    assert result.code == 0, result.err
    assert result.out.startswith(
        "warning: too little traffic to judge it (40 requests in 10s, fewer than docker.analysis_min_requests, 100)"
    )
    assert history.records[0].release.web == V2


def test_a_rollback_reports_its_traffic_and_never_rolls_back_again(cluster, inv, fake_docker):
    swarm, history = cluster
    history.records.insert(0, Recorded(Release(V2, EDGE, HEAD, MONITOR), "2026-11-26T00:00:00Z", "me", "r1"))
    swarm.serving_image = V2
    swarm.script = {"web": [web(running(V1, 1), running(V1, 2), image=V1)], "edge": [EDGE_UP]}
    fake_docker.prometheus.requests, fake_docker.prometheus.errors = [0, 500], [0, 100]
    result = inv("rollback")
    assert result.code == 0, result.err
    assert "judged by its own traffic: 20.0% 5xx over 500 requests in 30s, FAILED" in result.out
    assert [plan.variables["WEB_IMAGE"] for plan in swarm.plans] == [V1]


def test_no_analysis_does_not_ask_the_monitor(cluster, inv, fake_docker):
    swarm, _ = cluster
    swarm.script = SERVED
    result = inv("deploy", "--no-analysis")
    assert result.code == 0, result.err
    assert "not judged by its traffic (--no-analysis)" in result.out
    assert fake_docker.prometheus.started == []


@pytest.mark.parametrize("fault", ["ctrl-c", "monitor down"])
def test_an_analysis_cut_short_leaves_the_release_in_place_and_says_so(cluster, inv, fake_docker, monkeypatch, fault):
    swarm, history = cluster
    swarm.script = SERVED
    if fault == "ctrl-c":
        answers = fake_docker.prometheus.cli

        def interrupted(args):
            if args[1] == "exec" and len(fake_docker.prometheus.requests) == 1:
                raise KeyboardInterrupt
            return answers(args)

        fake_docker.prometheus.requests = [0, 10]
        monkeypatch.setattr(fake_docker.prometheus, "cli", interrupted)
    else:
        fake_docker.prometheus.down = "Error response from daemon: container is not running"
    result = inv("deploy")
    assert result.code == (130 if fault == "ctrl-c" else 1)
    last = result.err.strip().splitlines()[-1]
    assert "while judging sha256:bbbbbbbbbbbb… (rev 1234567): it stays in place, serving, not judged" in last
    assert history.records[0].release.web == V2, "what serves is in the history"
    assert fake_docker.prometheus.probes == [] and history.lock is None
