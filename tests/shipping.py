"""Shipping releases as a user does, for the deploy and cluster checks: a clone of this checkout in
a folder of its own (so a run commits releases of its own), `inv` run there under a stack, project
and registry path of the run's own, releases made of one-line commits (tests/traffic.py is the
traffic they run under).

A test asks for the state it needs (`checkout.serve("v2")`: v2 serving, built, pushed and deployed
first if it is not), so each test runs alone as well as after the others: `nox -s deploy -- -k rollback`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.engine import http
from tooling.core.settings import ROOT
from tooling.engine.client import inspect

GIT = ["git", "-c", "user.name=deploy-check", "-c", "user.email=deploy-check@localhost", "-c", "commit.gpgsign=false"]
# Each release is the checkout under test with one change: (file, what is there, what it becomes).
CHANGES: dict[str, tuple[str, str, str] | None] = {
    "v1": None,
    "v2": ("service/api.py", '"""The service\'s endpoints', '"""The service\'s endpoints (v2)'),
    # /healthz answers 503: a release that never turns healthy.
    "broken": ("service/config.py", '"MAINTENANCE_FILE": "/tmp/maintenance"', '"MAINTENANCE_FILE": "/etc/hostname"'),
    # /test answers 500 while /healthz stays healthy: Swarm takes it; only its own traffic tells.
    "erroring": ("service/api.py", 'return Response("test_endpoint_get", mimetype="text/plain")', "abort(500)"),
}


def free_port(host: str = "0.0.0.0") -> int:
    """A port free on ``host`` now (another process may still take it before it is bound)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Release:
    name: str
    commit: str
    digest: str = ""  # repository@sha256:..., once pushed


@dataclass
class Checkout:
    """A clone of this checkout, with `inv` run there as a user types it, against ``manager``."""

    path: Path
    env: dict[str, str]
    stack: str
    manager: Any  # a client of the swarm's manager, to look at what Swarm holds
    urls: list[str]  # where the stack's edges answer, from this machine
    releases: dict[str, Release] = field(default_factory=dict)

    @classmethod
    def clone(cls, folder: Path, env: dict[str, str], stack: str, manager: Any, urls: list[str]) -> Checkout:
        """This checkout's files as they are now (uncommitted changes too), committed in a clone."""
        path = folder / "repo"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(path)], check=True)
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        for name in filter(None, listed.split("\0")):
            if (ROOT / name).is_file():
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, path / name)
        subprocess.run(["git", "add", "-A"], cwd=path, check=True)
        subprocess.run([*GIT, "commit", "-qm", "the checkout under test", "--allow-empty"], cwd=path, check=True)
        subprocess.run(["git", "branch", "-q", "-M", "v1"], cwd=path, check=True)
        return cls(path, env, stack, manager, urls)

    def inv(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "invoke", *args]
        return subprocess.run(
            command, cwd=self.path, env={**self.env, **env}, capture_output=True, text=True, timeout=600, check=False
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "invoke", *args]
        return subprocess.Popen(
            command, cwd=self.path, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def git(self, *args: str) -> str:
        done = subprocess.run([*GIT, *args], cwd=self.path, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    @property
    def url(self) -> str:
        return self.urls[0]

    # --- releases ---------------------------------------------------------------------------

    def checkout(self, name: str) -> Release:
        """HEAD at release ``name``'s commit (made from v1 with its one change, the first time)."""
        if name not in self.releases:
            change = CHANGES[name]
            if change is None:
                self.git("checkout", "-q", "v1")
            else:
                self.git("checkout", "-q", "-b", name, "v1")
                path, old, new = change
                text = (self.path / path).read_text()
                assert old in text, f"{path} no longer holds {old!r}"
                (self.path / path).write_text(text.replace(old, new, 1))
                self.git("commit", "-qam", name)
            self.releases[name] = Release(name, self.git("rev-parse", "HEAD"))
        self.git("checkout", "-q", name)
        return self.releases[name]

    def unpushed_commit(self) -> str:
        """A new commit on top of v1 that nobody pushed; HEAD is left there."""
        self.git("checkout", "-q", "-B", "unpushed", "v1")
        (self.path / "service" / "api.py").write_text((self.path / "service" / "api.py").read_text() + "# unpushed\n")
        self.git("commit", "-qam", "never pushed")
        return self.git("rev-parse", "HEAD")

    def ship(self, name: str) -> Release:
        """`inv build push` of release ``name``; HEAD is left at its commit."""
        release = self.checkout(name)
        if not release.digest:
            built = self.inv("build")
            assert built.returncode == 0, built.stderr[-2000:]
            pushed = self.inv("push")
            assert pushed.returncode == 0, pushed.stderr
            release.digest = pushed.stdout.strip().splitlines()[-1]
            assert "@sha256:" in release.digest
        return release

    def serving(self) -> str | None:
        """The image the stack's web service is set to, or None when it is not deployed."""
        found = inspect(self.manager, *self.ids("service", "ls", "-q", "--filter", f"name={self.stack}_web"))
        mine = [s for s in found if s["Spec"]["Name"] == f"{self.stack}_web"]
        return mine[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] if mine else None

    def serve(self, *names: str) -> Release:
        """Releases ``names`` deployed in this order, unless the last already serves (the history
        then holds what came before); HEAD is left at the last one's commit."""
        release = self.ship(names[-1])
        if self.serving() == release.digest:
            return release
        for name in names:
            self.ship(name)
            self.checkout(name)
            deployed = self.inv("deploy")
            assert deployed.returncode == 0, deployed.stderr
        return release

    def served_revision(self, url: str = "") -> str:
        return str(http("GET", f"{url or self.url}/version").json()["revision"])

    def ids(self, *args: str) -> list[str]:
        from tooling.engine.client import ids

        return ids(self.manager, *args)

    def replicas(self) -> list[dict[str, Any]]:
        """The running web replicas: their image, state and node."""
        found = self.ids("service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running", f"{self.stack}_web")
        return [
            {"image": t["Spec"]["ContainerSpec"]["Image"], "state": t["Status"]["State"], "node": t["NodeID"]}
            for t in inspect(self.manager, *found)
        ]


def env_of(name: str, registry: str, secret: Path, port: int, **more: str) -> dict[str, str]:
    """What `inv` sees in a checkout of a run: the run's own project, stack, registry path and secret."""
    return {
        **os.environ,
        "INVOKE_DOCKER_PROJECT": name,
        "INVOKE_DOCKER_IMAGE": name,
        "INVOKE_DOCKER_CONTAINER": name,
        "INVOKE_DOCKER_STACK": name,
        "INVOKE_DOCKER_STACK_PORT": str(port),
        "INVOKE_DOCKER_REGISTRY": registry,
        "INVOKE_DOCKER_SECRET_KEY_FILE": str(secret),
        # The shortest analysis a deploy allows: enough traffic to judge by, a few times per session.
        "INVOKE_DOCKER_ANALYSIS_SECONDS": "10",
        **more,
    }
