"""What a run leaves is found from its id alone: teardown and the reaper of killed runs, on leftovers
made the way a run makes them (no cluster needed, so these take a second or two)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from tests.cluster import cleanup, images
from tests.cluster.engines import docker, ids, pid_alive
from tests.cluster.models import Run


def a_dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()
    return gone.pid


def leave_behind(run: Run) -> subprocess.Popen[bytes]:
    """What a run killed after its nodes started leaves: a network, a volume, a node container, its
    folder, a registry process that recorded its pid there, and (cgroup v1, root) a cgroup tree."""
    docker("network", "create", *run.label_flags("network"), run.prefix)
    volume = docker("volume", "create", *run.label_flags("node-storage"), f"{run.node_name(1)}-docker")
    docker(
        "container", "create", "--name", run.node_name(1), "--network", run.prefix, f"--volume={volume}:/data",
        *run.label_flags("node"), images.base_image(), "true",
    )  # fmt: skip
    run.folder.mkdir(mode=0o700)
    # Stands in for docker-registry: what the reaper checks is that the pid still serves from the folder.
    registry = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)", str(run.folder / "registry.yml")]
    )
    (run.folder / "registry.pid").write_text(str(registry.pid))
    cgroup = cleanup.CGROUP_ROOT / "pids" / run.node_name(1) / "abc123"
    if cgroup.parent.parent.is_dir():
        cgroup.mkdir(parents=True)
    return registry


def left(run: Run) -> list[str]:
    """What of ``run`` is still there, in words."""
    found = [f"{kind} {name}" for kind in ("container", "network", "volume") for name in ids(kind, run.id)]
    found += [str(path) for path in (run.folder, *cleanup.CGROUP_ROOT.glob(f"*/{run.prefix}-node*")) if path.exists()]
    return found


@pytest.fixture
def dead_run(prerequisites: None) -> Iterator[tuple[Run, subprocess.Popen[bytes]]]:
    run = Run(f"{a_dead_pid()}-{uuid.uuid4().hex[:6]}")
    registry = leave_behind(run)
    try:
        yield run, registry
    finally:
        registry.kill()
        registry.wait()
        cleanup.tear_down(run.id, progress=lambda *_: None)


def test_the_reaper_removes_everything_a_killed_run_left_and_no_live_run(dead_run):
    run, registry = dead_run
    alive = Run.new()  # this process's: alive
    docker("network", "create", *alive.label_flags("network"), alive.prefix)
    try:
        assert left(run), "the leftovers were made"
        reaped = cleanup.reap_dead_runs()
        assert run.id in reaped
        assert alive.id not in reaped
        assert left(run) == []
        assert registry.wait(timeout=10) != 0, "the registry the run recorded was stopped"
        assert ids("network", alive.id), "a live run's network stays"
    finally:
        cleanup.tear_down(alive.id, progress=lambda *_: None)


def test_teardown_can_run_again_and_removes_only_its_own_run(dead_run):
    run, _ = dead_run
    other = Run(f"{a_dead_pid()}-{uuid.uuid4().hex[:6]}")
    docker("network", "create", *other.label_flags("network"), other.prefix)
    try:
        cleanup.tear_down(run.id, progress=lambda *_: None)
        cleanup.tear_down(run.id, progress=lambda *_: None)
        assert left(run) == []
        assert ids("network", other.id), "another run's network stays"
    finally:
        cleanup.tear_down(other.id, progress=lambda *_: None)
    assert not pid_alive(run.pid)
