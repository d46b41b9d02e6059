"""Docker Swarm's services and tasks: deploy a stack, look at it while Swarm works, remove it.
(Its release history and deploy lock, also kept in the swarm, are in history.py.)

What Swarm answers is read from the daemon's own JSON, only the keys needed, rather than through
python-on-whales' models: those re-inspect an object on nearly every attribute read, and break
when the daemon's JSON changes. Nothing here prints; it returns data or raises ToolError.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling import engine
from tooling.errors import ToolError
from tooling.settings import STACK_LABEL
from tooling.stack import ENDED, Observation, Plan, Task, Update

if TYPE_CHECKING:
    from python_on_whales import DockerClient

SERVICES = ("web", "edge")
OUT_OF_SEQUENCE_TRIES = 5  # `docker stack deploy` attempts while Swarm reports "update out of sequence"


@dataclass(frozen=True)
class Before:
    """A service as it was before a deploy: its last update, and the tasks it had."""

    update: Update | None = None
    tasks: frozenset[str] = frozenset()


@dataclass
class Removed:
    services: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)  # its release history (history.py)

    def __bool__(self) -> bool:
        return any(vars(self).values())

    def counted(self) -> str:
        """E.g. "2 services, 1 network"; empty when there is nothing."""
        parts = [f"{len(names)} {kind if len(names) > 1 else kind[:-1]}" for kind, names in vars(self).items() if names]
        return ", ".join(parts)

    def summary(self, stack: str) -> str:
        counted = self.counted()
        return f"removed {stack}: {counted}" if counted else f"{stack} is not deployed here; nothing to remove"


class Swarm:
    def __init__(self, client: DockerClient) -> None:
        self.client = client
        self._hostnames: dict[str, str] = {}

    # --- the swarm ------------------------------------------------------------------------------

    def membership(self) -> tuple[str, bool]:
        """This engine's swarm state (inactive, pending, active, error, locked) and whether it manages."""
        swarm = self.client.info().swarm
        return (swarm.local_node_state or "inactive") if swarm else "inactive", bool(swarm and swarm.control_available)

    def require_manager(self) -> None:
        state, manager = self.membership()
        if state != "active":
            raise ToolError(
                f"this engine is not in a swarm (its state: {state}); start one with `docker swarm init` "
                "(README, Beyond one machine), or point DOCKER_HOST at a manager of yours"
            )
        if not manager:
            raise ToolError(
                "this engine is a swarm worker, not a manager; deploy through a manager, "
                "e.g. DOCKER_HOST=ssh://you@manager inv deploy"
            )

    def hostname(self, node: str) -> str:
        if node and node not in self._hostnames:
            found = engine.inspect(self.client, node)
            self._hostnames[node] = found[0].get("Description", {}).get("Hostname", node[:12]) if found else node[:12]
        return self._hostnames.get(node, "?")

    # --- a stack's services ---------------------------------------------------------------------

    def service(self, stack: str, name: str) -> dict[str, Any] | None:
        """The daemon's JSON for the stack's service ``name``, or None when it does not exist."""
        ids = engine.ids(self.client, "service", "ls", "-q", "--filter", f"name={stack}_{name}")
        found = [s for s in engine.inspect(self.client, *ids) if s.get("Spec", {}).get("Name") == f"{stack}_{name}"]
        return found[0] if found else None

    def deployed(self, stack: str) -> bool:
        return bool(engine.ids(self.client, "service", "ls", "-q", "--filter", f"label={STACK_LABEL}={stack}"))

    def tasks(self, service: str, *filters: str) -> list[Task]:
        args = [arg for f in filters for arg in ("--filter", f)]
        found = engine.inspect(
            self.client, *engine.ids(self.client, "service", "ps", "-q", "--no-trunc", *args, service)
        )
        return [_task(t) for t in found]

    def before(self, stack: str, name: str) -> Before:
        found = self.service(stack, name)
        if found is None:
            return Before()
        return Before(_update(found), frozenset(t.id for t in self.tasks(f"{stack}_{name}")))

    def observe(self, stack: str, name: str, target: str, before: Before) -> Observation:
        """The service now: what its spec asks for, its update, the tasks of the current spec
        that should run, and the tasks of ``target`` started since ``before`` that ended."""
        found = self.service(stack, name) or {}
        service = f"{stack}_{name}"
        current = self.tasks(service, "_up-to-date=true", "desired-state=running") if found else []
        every = self.tasks(service) if found else []
        ended = [t for t in every if t.id not in before.tasks and t.image == target and t.state in ENDED]
        image = found.get("Spec", {}).get("TaskTemplate", {}).get("ContainerSpec", {}).get("Image", "")
        return Observation(name=name, image=image, update=_update(found), current=current, ended=ended)

    def serving(self, stack: str) -> str | None:
        """The image the stack's app service is set to serve (repository@sha256:...), or None."""
        found = self.service(stack, "web")
        return found["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] if found else None

    def health_output(self, task: Task) -> str:
        """What a task's failing health checks said most often (its last one may only be the
        container being stopped), when it ran on this engine's node; else Swarm's error."""
        if not task.container:
            return task.error
        from python_on_whales.exceptions import DockerException

        try:
            found = engine.inspect(self.client, task.container)  # none when on another node, or gone
        except DockerException:  # the engine could not say: what Swarm said will do
            return task.error
        checks = ((found[0].get("State", {}).get("Health") or {}).get("Log") or []) if found else []
        said = [(c.get("Output") or "").strip() for c in checks if c.get("ExitCode") != 0]
        return max(reversed(said), key=said.count) if said else task.error

    def deploy(self, plan: Plan) -> None:
        """`docker stack deploy` of ``plan``; it returns once Swarm has the new spec, not when it is done."""
        from python_on_whales.exceptions import DockerException

        with tempfile.TemporaryDirectory(prefix="stack-") as folder:
            files: list[str | Path] = list(plan.files)
            if plan.overlay is not None:
                overlay = Path(folder, "overlay.json")  # JSON is YAML: a Compose file as data
                overlay.write_text(json.dumps(plan.overlay))
                files.append(overlay)
            for attempt in range(1, OUT_OF_SEQUENCE_TRIES + 1):
                try:
                    self.client.stack.deploy(
                        plan.stack,
                        compose_files=files,
                        resolve_image="never",  # the images are pinned by digest already
                        with_registry_auth=True,  # nodes pull with this client's registry login
                        variables=plan.variables,
                    )
                    return
                except DockerException as error:
                    reason = engine.last_error_line(error)
                    # Swarm bumps a service's version as it records an update's progress, so a spec
                    # read a moment earlier may be refused (moby/swarmkit#1379). Deploying is
                    # idempotent: read it again and retry, as moby's own tests do (moby/moby#39560).
                    if "update out of sequence" not in reason or attempt == OUT_OF_SEQUENCE_TRIES:
                        raise ToolError(f"docker stack deploy failed: {reason}") from None
                    time.sleep(0.5 * attempt)

    # --- tidying up -----------------------------------------------------------------------------

    def prune_secrets(self, stack: str) -> list[str]:
        """Remove the stack's secrets that no service uses any more (older values of a rotated key)."""
        from python_on_whales.exceptions import DockerException

        used = set()
        for service in engine.inspect(
            self.client, *engine.ids(self.client, "service", "ls", "-q", "--filter", f"label={STACK_LABEL}={stack}")
        ):
            for secret in service.get("Spec", {}).get("TaskTemplate", {}).get("ContainerSpec", {}).get("Secrets") or []:
                used.add(secret.get("SecretName"))
        removed = []
        for secret in engine.inspect(
            self.client, *engine.ids(self.client, "secret", "ls", "-q", "--filter", f"label={STACK_LABEL}={stack}")
        ):
            name = secret.get("Spec", {}).get("Name", "")
            if name and name not in used:
                with contextlib.suppress(DockerException):  # a task that still uses it keeps it
                    self.client.secret.remove(name)
                    removed.append(name)
        return removed

    def leftovers(self, stack: str) -> Removed:
        """What of the stack is still on the swarm: its services, networks and secrets."""
        label = f"label={STACK_LABEL}={stack}"
        return Removed(
            services=self._names("service", label),
            networks=self._names("network", label),
            secrets=self._names("secret", label),
        )

    def _names(self, kind: str, label: str) -> list[str]:
        found = engine.inspect(self.client, *engine.ids(self.client, kind, "ls", "-q", "--filter", label))
        return sorted(item.get("Spec", {}).get("Name") or item.get("Name", "") for item in found)

    def containers_left(self, stack: str) -> int:
        return len(self.client.container.list(all=True, filters=[("label", f"{STACK_LABEL}={stack}")]))

    def remove_stack(self, stack: str) -> None:
        """`docker stack rm`: services first; a network still in use by a stopping container stays."""
        from python_on_whales.exceptions import DockerException

        with contextlib.suppress(DockerException):  # it reports networks it could not remove yet
            self.client.stack.remove(stack)

    def remove_networks(self, left: Removed) -> None:
        """Remove the networks `docker stack rm` left behind, once no container uses them."""
        from python_on_whales.exceptions import DockerException

        for network in left.networks:
            with contextlib.suppress(DockerException):
                self.client.network.remove(network)

    def logs(self, stack: str, *, follow: bool, tail: int | None) -> Iterator[tuple[str, bytes]]:
        """(``stdout`` or ``stderr``, bytes) of every replica of the app, each line prefixed by its task."""
        from python_on_whales.exceptions import DockerException

        try:
            yield from self.client.service.logs(f"{stack}_web", follow=follow, tail=tail, stream=True)
        except DockerException as error:
            raise ToolError(f"cannot read the logs of {stack}_web: {engine.last_error_line(error)}") from None


def _update(service: dict[str, Any]) -> Update | None:
    status = service.get("UpdateStatus")
    if not status:
        return None
    return Update(state=status.get("State", ""), started=status.get("StartedAt", ""), message=status.get("Message", ""))


def _task(found: dict[str, Any]) -> Task:
    status = found.get("Status") or {}
    return Task(
        id=found.get("ID", ""),
        node=found.get("NodeID", ""),
        image=(found.get("Spec", {}).get("ContainerSpec") or {}).get("Image", ""),
        state=status.get("State", ""),
        desired=found.get("DesiredState", ""),
        error=status.get("Err", "") or "",
        container=(status.get("ContainerStatus") or {}).get("ContainerID", "") or "",
        slot=found.get("Slot"),
        created=found.get("CreatedAt", ""),
    )
