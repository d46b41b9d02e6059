"""Leaving nothing behind: the teardown of a run of the cluster, however far it got, and the reaper
of what a killed run left (found by its labels, its folder and its cgroup trees)."""

from __future__ import annotations

import contextlib
import errno
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.cluster import registry
from tests.cluster.engines import ClusterError, docker, ids, pid_alive
from tests.cluster.models import HOST_LABEL, PID_LABEL, PREFIX, RUN_ID, RUN_LABEL, Run
from tooling.core.terminal import LiveLine
from tooling.core.waiting import Progress

CGROUP_ROOT = Path("/sys/fs/cgroup")


def tear_down(run: str, progress: Progress | None = None) -> None:
    """Remove everything run ``run`` created, however far it got: the node containers and their
    volumes, the network, the registry (process or container) and its storage, the run's folder,
    and the cgroup directories the nodes' engines made. Safe to call again; a Ctrl-C waits for it.
    A ClusterError naming what stayed when something could not go."""
    live = LiveLine()
    line = progress or live
    started = time.monotonic()
    line("cluster: tearing down", "teardown")
    steps: list[tuple[str, Callable[[str], None]]] = [
        ("containers", lambda r: _remove(["rm", "--force", "--volumes"], ids("container", r))),
        ("volumes", lambda r: _remove(["volume", "rm"], ids("volume", r))),
        ("network", lambda r: _remove(["network", "rm"], ids("network", r))),
        ("images", lambda r: _remove(["image", "rm", "--force"], ids("image", r))),
        ("registry", registry.stop),
        ("cgroups", _remove_cgroups),
        ("folder", lambda r: shutil.rmtree(Run(r).folder) if Run(r).folder.exists() else None),
    ]
    problems = []
    with held_interrupts():
        for what, step in steps:
            try:
                step(run)
            except (ClusterError, OSError, subprocess.SubprocessError) as error:
                problems.append(f"{what}: {error}")
    if problems:
        live.done()
        raise ClusterError(f"the teardown of cluster run {run} left something behind", "\n".join(problems))
    if progress is None:
        live.done(f"cluster: torn down in {time.monotonic() - started:.1f}s")


def _remove(command: list[str], found: list[str]) -> None:
    if found:
        docker(*command, *found)


@contextlib.contextmanager
def held_interrupts() -> Iterator[None]:
    """Ctrl-C is ignored, by us and by the docker commands we start, while a teardown runs: a second
    one cannot leave half a cluster behind. (Only the main thread can hold it.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _remove_cgroups(run: str) -> None:
    """rmdir the cgroup trees of the nodes' engines (--cgroup-parent=/<node>), empty once the nodes
    are gone: cgroup v1 has one per controller (/sys/fs/cgroup/*/<node>), v2 one (/sys/fs/cgroup/<node>).
    They are on the machine of the engine, which is this one where the engine is local."""
    prefix = Run(run).prefix
    deadline = time.monotonic() + 10  # a killed node's processes take a moment to leave their cgroups
    for tree in [*CGROUP_ROOT.glob(f"{prefix}-node*"), *CGROUP_ROOT.glob(f"*/{prefix}-node*")]:
        deepest_first = sorted((p for p in tree.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for folder in [*deepest_first, tree]:
            while True:
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as error:
                    if error.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)


def reap_dead_runs() -> list[str]:
    """Tear down the runs of this machine whose process is gone (killed, not interrupted), found by
    the labels on their containers, networks and volumes, and by their folders and cgroup trees.
    The ids of the runs it tore down."""
    runs: set[str] = set()
    mine = socket.gethostname()
    labels = f'{{{{.Label "{RUN_LABEL}"}}}} {{{{.Label "{HOST_LABEL}"}}}}'
    for listing in (["ps", "--all"], ["network", "ls"], ["volume", "ls"]):
        shown = docker(*listing, "--filter", f"label={PID_LABEL}", "--format", labels)
        runs |= {row.split()[0] for row in shown.splitlines() if row.split()[1:] == [mine]}
    folders = Path(tempfile.gettempdir()).glob(f"{PREFIX}-*")
    cgroups = [*CGROUP_ROOT.glob(f"{PREFIX}-*"), *CGROUP_ROOT.glob(f"*/{PREFIX}-*")]
    for path in [*folders, *cgroups]:
        found = re.match(rf"{PREFIX}-({RUN_ID.pattern})", path.name)
        if found:
            runs.add(found.group(1))
    dead = sorted(run for run in runs if RUN_ID.fullmatch(run) and not pid_alive(Run(run).pid))
    for run in dead:
        tear_down(run, progress=lambda *_: None)
    return dead
