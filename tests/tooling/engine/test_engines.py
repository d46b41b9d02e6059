"""engine/engines.py, and engine/client.py's connection to a manager: which engine each task talks
to. With docker.manager set, building, pushing and the local container's tasks stay on the local
engine; everything about the stack goes to the manager, and a manager that cannot be had is one line
that says what to fix, in bounded time."""

import subprocess
import time
from pathlib import Path

import pytest

from tests.tooling.engine.conftest import MANAGER
from tests.tooling.fakes import docker_error
from tooling.core.waiting import wait_until


def asked(fake):
    """What a fake engine was asked: its calls, containers run, stacks deployed, swarm questions."""
    return [name for name, _ in fake.calls] + [f"deploy {d['stack']}" for d in fake.deployed]


@pytest.mark.parametrize(
    "task",
    [
        ["build"],
        ["push"],
        ["run"],
        ["shell", "--cmd", "id"],
        ["logs"],
        ["stop"],
        ["clean"],
    ],
)
def test_building_pushing_and_the_local_container_stay_on_the_local_engine(manager, fake_docker, inv, task):
    if task[0] in {"shell", "logs", "stop"}:
        fake_docker.add_container("flask-service")
    result = inv(*task)
    assert result.code == 0, result.err
    assert asked(manager) == [] and manager.host == "", f"inv {task[0]} never reached the manager"
    assert asked(fake_docker) or task[0] in {"shell", "stop", "clean"} or fake_docker.removed_containers


def test_the_stack_s_status_comes_from_the_manager_and_the_containers_from_here(manager, fake_docker, inv):
    fake_docker.add_container("flask-service")
    result = inv("status")
    assert result.code == 0, result.err
    assert manager.host == MANAGER
    lines = result.out.splitlines()
    assert lines[1].startswith("flask-service "), "this machine's container"
    assert f"stack rec (swarm, through the manager {MANAGER}):" in lines
    assert any(line.startswith("rec_web.1 ") for line in lines), "the replicas, as the manager knows them"


def test_logs_of_the_stack_come_from_the_manager(manager, fake_docker, inv):
    chunks = [("stdout", b"rec_web.1.x@vm | GET /test 200\n")]
    manager.service = type("Services", (), {"logs": lambda self, *a, **k: iter(chunks)})()
    result = inv("logs", "--stack")
    assert result.code == 0, result.err
    assert "rec_web.1.x@vm | GET /test 200" in result.out
    assert asked(fake_docker) == []


def test_a_deploy_asks_the_registry_from_here_and_the_swarm_through_the_manager(manager, fake_docker, inv, fast_clock):
    fake_docker.registry["127.0.0.1:5001/team/flask-service:1234567"] = "sha256:" + "b" * 64
    from tooling.core.settings import Settings
    from tooling.engine.registry import part_reference

    for part in ("edge", "monitor"):
        reference = part_reference(Settings.load({"registry": "127.0.0.1:5001/team", "stack": "rec"}), part)
        fake_docker.registry[reference] = "sha256:" + "e" * 64
    fast_clock(100.0)  # the recorded stack never turns into the new release: time out at once
    result = inv("deploy", "--break-lock")
    assert "did not converge within 300s" in result.err
    assert [d["stack"] for d in manager.deployed] == ["rec"], "the manager deployed it"
    assert (
        fake_docker.deployed == []
        and (
            "cli",
            {
                "args": [
                    "docker",
                    "manifest",
                    "inspect",
                    "--verbose",
                    "--insecure",
                    "127.0.0.1:5001/team/flask-service:1234567",
                ]
            },
        )
        in fake_docker.calls
    )


def test_an_undeploy_goes_to_the_manager(manager, fake_docker, inv):
    result = inv("undeploy", "--break-lock")
    assert result.code == 0, result.err
    assert result.out.strip() == "removed rec: 2 services, 1 network, 1 secret, 2 configs"
    assert sorted(manager.recorded.removed["config"]) == [
        "rec-deploy-lock",
        "rec-deploy-lock",
        *sorted(["rec-release-20261130100000", "rec-release-20261130100001"]),
    ]


@pytest.mark.parametrize(
    ("said", "fix"),
    [
        (
            "ssh: connect to host node1 port 22: Connection refused",
            "check the address, that the host is up and sshd runs there",
        ),
        ("deploy@node1: Permission denied (publickey).", "add your key to the agent (`ssh-add`)"),
        ("Host key verification failed.", "ssh does not trust"),
    ],
)
def test_a_manager_that_does_not_answer_is_one_line_with_the_likely_fix(manager, inv, said, fix):
    manager.version = lambda: (_ for _ in ()).throw(docker_error(f"error during connect: {said}"))
    for task in (["deploy"], ["rollback"], ["undeploy"], ["status"], ["logs", "--stack"], ["top", "--once"]):
        result = inv(*task)
        assert result.code == 1, task
        (line,) = result.err.strip().splitlines()
        assert line.startswith(f"error: the manager {MANAGER} does not answer (error during connect: {said}); "), task
        assert fix in line
        assert manager.deployed == []


def test_a_manager_that_never_answers_is_given_up_on_in_bounded_time(manager, inv, monkeypatch):
    def hangs(args, timeout):
        assert timeout == 40, "the bound"
        raise subprocess.TimeoutExpired(args, timeout)

    monkeypatch.setattr("tooling.engine.client.run_bounded", hangs)
    result = inv("undeploy")
    assert result.code == 1
    assert f"error: the manager {MANAGER} does not answer (no answer within 40s)" in result.err


def test_a_command_over_its_bound_is_killed_with_what_it_started(tmp_path):
    """The real bound, on a command that starts a child and outlives it: both are gone at the bound."""
    from tooling.engine.client import run_bounded

    pids = tmp_path / "pids"
    script = f"sleep 30 & echo $! > {pids}; sleep 30"
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_bounded(["sh", "-c", script], 0.5)
    assert time.monotonic() - started < 5
    status = Path(f"/proc/{int(pids.read_text())}/status")

    def killed() -> bool:  # gone, or a zombie left for init to reap
        try:
            return "State:\tZ" in status.read_text()
        except FileNotFoundError:
            return True

    wait_until(killed, timeout=5, interval=0.05)


def test_a_context_that_does_not_exist_is_named(fake_docker, inv, monkeypatch):
    monkeypatch.setenv("INVOKE_DOCKER_MANAGER", "prod-eu")
    monkeypatch.setenv("INVOKE_DOCKER_REGISTRY", "127.0.0.1:5001/team")
    fake_docker.remote.version = lambda: (_ for _ in ()).throw(
        docker_error('context "prod-eu": context not found: open /root/.docker/contexts/meta/x/meta.json: no such file')
    )
    result = inv("deploy")
    assert result.code == 1
    assert result.err.strip() == (
        "error: the manager prod-eu does not answer (context 'prod-eu' not found); "
        "no Docker context is called prod-eu (`docker context ls` lists them); fix docker.manager"
    )


def test_an_unknown_scheme_is_one_line_before_anything_runs(fake_docker, inv, monkeypatch):
    monkeypatch.setenv("INVOKE_DOCKER_MANAGER", "http://node1:2375")
    result = inv("deploy")
    assert result.code == 1
    assert result.err.strip().startswith(
        "error: docker.manager (invoke.yaml or INVOKE_DOCKER_MANAGER): 'http://node1:2375'"
    )
    assert fake_docker.calls == [] and fake_docker.remote.calls == []


def test_a_bounded_command_that_fails_raises_what_it_said():
    """As python-on-whales raises it (and its client's docker_cmd starts with a Path)."""
    from python_on_whales.exceptions import DockerException

    from tooling.engine.client import run_bounded

    with pytest.raises(DockerException) as failed:
        run_bounded([Path("/bin/sh"), "-c", "echo out; echo 'it broke' >&2; exit 3"], 5)
    assert failed.value.return_code == 3 and (failed.value.stderr or "").strip() == "it broke"
    assert run_bounded([Path("/bin/sh"), "-c", "echo fine"], 5) == "fine\n"
