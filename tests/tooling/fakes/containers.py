"""A container and an image as python-on-whales hands them out, in memory; and `docker run`'s flags
read back into the options its run() takes, for the runs that go through the CLI."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from python_on_whales.exceptions import DockerException

if TYPE_CHECKING:
    from tests.tooling.fakes.docker import FakeDocker

_ids = itertools.count(1)


def docker_error(stderr: str, code: int = 1, kind: type[DockerException] = DockerException) -> DockerException:
    return kind(["docker"], code, stderr=stderr.encode())


@dataclass
class FakeImage:
    tags: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    size: int = 176_000_000
    id: str = field(default_factory=lambda: f"sha256:{next(_ids):064x}")
    repo_digests: list[str] = field(default_factory=list)

    @property
    def repo_tags(self) -> list[str]:
        return self.tags

    @property
    def config(self) -> Any:
        return SimpleNamespace(labels=self.labels)


class FakeContainer:
    def __init__(
        self,
        client: FakeDocker,
        name: str,
        image: str,
        labels: dict[str, str],
        port: str = "5000",
        health: list[str] | None = None,
        exit_code: int = 0,
    ) -> None:
        self.client = client
        self.name = name
        self.id = f"{next(_ids):012x}"
        self.created = datetime.now(UTC)
        self.config = SimpleNamespace(labels=labels, image=image)
        self.network_settings = SimpleNamespace(ports={"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": port}]})
        self.health_plan = list(health or ["healthy"])
        self.restart_count = 0
        self.exit_code = exit_code
        self.state = SimpleNamespace(
            status="running",
            running=True,
            restarting=False,
            exit_code=0,
            health=SimpleNamespace(status="starting", log=[SimpleNamespace(exit_code=1, output="connection refused")]),
        )
        self.executed: list[dict[str, Any]] = []
        self.exec_result: str | DockerException = ""
        self.stopped_with: int | None = None

    def reload(self) -> None:
        if self.health_plan:
            status = self.health_plan.pop(0)
            if status == "exited":
                self.state.running = False
                self.state.status = "exited"
                self.state.exit_code = 3
            else:
                self.state.health.status = status

    def remove(self, force: bool = False, volumes: bool = False) -> None:
        self.client.containers.pop(self.name, None)
        self.client.removed_containers.append(self.name)

    def stop(self, time: int | None = None) -> None:
        self.stopped_with = time
        self.state.running = False
        self.state.status = "exited"
        self.state.exit_code = self.exit_code

    def execute(self, command: list[str], **kwargs: Any) -> str:
        self.executed.append({"command": command, **kwargs})
        if isinstance(self.exec_result, DockerException):
            raise self.exec_result
        return self.exec_result

    def logs(self, tail: int | None = None) -> str:
        return "worker booted\nsomething broke"


# `docker run` flags (engine/containers.run_flags) back into the options python-on-whales' run() takes.
_LISTS = {"env-file": "env_files", "tmpfs": "tmpfs", "cap-drop": "cap_drop", "security-opt": "security_options"}


def run_options(words: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "labels": {},
        "envs": {},
        "volumes": [],
        "health": {},
        "healthcheck": True,
        "read_only": False,
    }
    found.update({name: [] for name in _LISTS.values()})
    words = list(words)
    while words:
        flag = words.pop(0).removeprefix("--")
        name, sep, value = flag.partition("=")
        if not sep and name in ("name", "publish", "pull"):
            value = words.pop(0)
        if name in ("label", "env"):
            key, _, item = value.partition("=")
            found["labels" if name == "label" else "envs"][key] = item
        elif name in _LISTS:
            found[_LISTS[name]].append(value)
        elif name == "volume":
            found["volumes"].append(tuple(value.split(":")))
        elif name.startswith("health-"):
            found["health"][name.removeprefix("health-")] = value
        elif name == "publish":
            address, _, target = value.rpartition(":")
            found["publish"] = [(address, int(target))]
        else:
            found.update({"detach": True} if name == "detach" else {"read_only": True} if name == "read-only" else {})
            found.update({"healthcheck": False} if name == "no-healthcheck" else {})
            found.update({name.replace("-", "_"): value} if name in ("name", "pull", "restart", "cpus") else {})
            found.update({"stop_timeout": int(value)} if name == "stop-timeout" else {})
    return found
