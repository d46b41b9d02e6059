"""Swarm, for the verbs: scripted answers of engine/swarm.py and engine/history.py. (Those two are
tested themselves against answers recorded from real engines: tests/tooling/replay.py.)"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

NODE = SimpleNamespace(id="n1", hostname="node-1", address="10.0.0.5", role_shown="leader", availability="active",
                       state="ready", engine="26.1.5")  # fmt: skip


class FakeSwarm:
    """Plays back a script of observations per service, as Swarm would answer while it works.

    ``script[name]`` is a list of Observations; the last one repeats. Records what it is asked."""

    def __init__(self, client: Any, script: dict[str, list[Any]] | None = None, serving: str | None = None) -> None:
        self.client = client
        self.script = script or {}
        self.serving_image = serving
        self.plans: list[Any] = []
        self.health = "unhealthy: HTTP/1.0 503 SERVICE UNAVAILABLE"
        self.interrupt_after: int | None = None
        self.observed = 0
        self.stuck_networks: list[str] = []  # networks that outlive an undeploy
        self.monitor_image: str | None = "reg/flask-service-monitor@sha256:" + "f" * 64

    def require_manager(self) -> None:
        pass

    def before(self, stack: str, name: str) -> Any:
        from tooling.models.swarm import Before

        return Before()

    def deploy(self, plan: Any) -> None:
        self.plans.append(plan)

    def observe(self, stack: str, name: str, target: str, before: Any) -> Any:
        self.observed += 1
        if self.interrupt_after is not None and self.observed > self.interrupt_after:
            raise KeyboardInterrupt
        if name not in self.script:  # a service the test does not script: up on its target at once
            from tooling.models.swarm import Observation, Task

            return Observation(name, target, None, [Task(f"{name}-1", "n1", target, "running", "running")])
        frames = self.script[name]
        return frames.pop(0) if len(frames) > 1 else frames[0]

    def serving(self, stack: str, name: str = "web") -> str | None:
        if name == "monitor":
            return self.monitor_image
        return self.serving_image

    def health_output(self, task: Any) -> str:
        return self.health

    def prune_secrets(self, stack: str) -> list[str]:
        return []

    def edges(self, stack: str) -> list[Any]:
        return [NODE]

    # what undeploy and status ask
    def membership(self) -> Any:
        from tooling.models.swarm import Membership

        return Membership("active", True, 1, 1)

    def nodes(self) -> list[Any]:
        return [NODE]

    def deployed(self, stack: str) -> bool:
        return self.serving_image is not None

    def service(self, stack: str, name: str) -> dict[str, Any] | None:
        if self.serving_image is None:
            return None
        return {
            "UpdateStatus": {"State": "completed", "CompletedAt": "2026-11-26T10:00:00Z", "Message": "update completed"}
        }

    def tasks(self, service: str, *filters: str) -> list[Any]:
        frames = self.script.get(service.rsplit("_", 1)[-1], [])
        return list(frames[0].current) if frames else []

    def hostname(self, node: str) -> str:
        return "node-1"

    def parts(self, stack: str) -> Any:
        from tooling.models.swarm import StackParts

        self.removing = max(getattr(self, "removing", 0) - 1, 0)  # replicas stopping, a look at a time
        if self.removing == 0 and getattr(self, "removed", False):
            self.serving_image = None
        if self.serving_image is None:
            return StackParts(networks=list(self.stuck_networks))
        return StackParts(services=[f"{stack}_web", f"{stack}_edge"], networks=[f"{stack}_backend"])

    def remove_stack(self, stack: str) -> None:
        self.removing, self.removed = 3, True

    def remove_networks(self, networks: list[str]) -> None:
        pass

    def containers_here(self, stack: str) -> int:
        return 0


class FakeHistory:
    """The release history and the deploy lock, in memory."""

    def __init__(self, client: Any, records: list[Any] | None = None, lock: str | None = None) -> None:
        self.records = records or []
        self.lock = lock  # who holds it, when someone does
        self.locks_taken = 0

    def releases(self, stack: str) -> list[Any]:
        return list(self.records)

    def record(self, stack: str, release: Any, by: str, project: str) -> None:
        from tooling.models.release import Recorded

        self.records.insert(0, Recorded(release, "2026-11-26T00:00:00Z", by, f"{stack}-release-{len(self.records)}"))

    def forget(self, stack: str) -> list[str]:
        names = [r.name for r in self.records]
        self.records.clear()
        return names

    def locked(self, stack: str, who: str, project: str, *, break_lock: bool = False) -> Any:
        from contextlib import contextmanager

        from tooling.core.errors import ToolError

        @contextmanager
        def hold() -> Any:
            if self.lock and not break_lock:
                raise ToolError(f"another deploy of {stack} holds the lock: {self.lock}; ... --break-lock")
            self.lock = who
            self.locks_taken += 1
            try:
                yield
            finally:
                self.lock = None

        return hold()
