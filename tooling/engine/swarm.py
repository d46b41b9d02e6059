"""Docker Swarm, through a manager's engine: deploy a stack, look at it while Swarm works, its
nodes, remove it. (Its release history and deploy lock, also kept in the swarm, are in history.py;
what the answers mean is models/swarm.py.)

Swarm's answers are read from the daemon's own JSON, only the keys needed, rather than through
python-on-whales' models: those re-inspect an object on nearly every attribute read, and break
when the daemon's JSON changes. Nothing here prints; it returns data or raises ToolError.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolError, last_error_line
from tooling.core.settings import STACK_LABEL
from tooling.engine.client import cli, ids, inspect, retried
from tooling.models import swarm as read
from tooling.models.swarm import ENDED, Before, Membership, Node, Observation, StackParts, Task

if TYPE_CHECKING:
    from python_on_whales import DockerClient

    from tooling.models.plan import Plan

OUT_OF_SEQUENCE_TRIES = 5  # `docker stack deploy` attempts while Swarm reports "update out of sequence"


class Swarm:
    """The swarm that ``client``'s engine belongs to; ``where`` names that engine in messages."""

    def __init__(self, client: DockerClient, where: str = "this engine") -> None:
        self.client = client
        self.where = where
        self._nodes: dict[str, Node] | None = None

    # --- the swarm ------------------------------------------------------------------------------

    def membership(self) -> Membership:
        return read.membership(json.loads(cli(self.client, "info", "--format", "{{json .Swarm}}") or "null"))

    def require_manager(self) -> None:
        found = self.membership()
        if found.state != "active":
            raise ToolError(
                f"{self.where} is not in a swarm (its state: {found.state}); start one with `docker swarm init` "
                "(docs/deploying.md), or point docker.manager at a manager of yours"
            )
        if not found.manager:
            raise ToolError(
                f"{self.where} is a swarm worker, not a manager; point docker.manager at a manager "
                "(e.g. INVOKE_DOCKER_MANAGER=ssh://you@manager; `docker node ls` on one lists them)"
            )

    def nodes(self) -> list[Node]:
        """Every node of the swarm, managers first, then by hostname."""
        if self._nodes is None:
            found = [read.node(n) for n in inspect(self.client, *ids(self.client, "node", "ls", "-q"))]
            self._nodes = {n.id: n for n in sorted(found, key=lambda n: (n.role != "manager", n.hostname))}
        return list(self._nodes.values())

    def edges(self, stack: str) -> list[Node]:
        """The nodes where the stack's edge runs and is healthy, as Swarm knows them."""
        running = {t.node for t in self.tasks(f"{stack}_edge", "desired-state=running") if t.state == "running"}
        return [n for n in self.nodes() if n.id in running]

    def hostname(self, node: str) -> str:
        if self._nodes is None or node not in self._nodes:
            self._nodes = None
            self.nodes()
        found = (self._nodes or {}).get(node)
        return found.hostname if found else node[:12] or "?"

    # --- a stack's services ---------------------------------------------------------------------

    def service(self, stack: str, name: str) -> dict[str, Any] | None:
        """The daemon's JSON for the stack's service ``name``, or None when it does not exist."""
        found = inspect(self.client, *ids(self.client, "service", "ls", "-q", "--filter", f"name={stack}_{name}"))
        found = [s for s in found if s.get("Spec", {}).get("Name") == f"{stack}_{name}"]
        return found[0] if found else None

    def deployed(self, stack: str) -> bool:
        return bool(ids(self.client, "service", "ls", "-q", "--filter", f"label={STACK_LABEL}={stack}"))

    def tasks(self, service: str, *filters: str) -> list[Task]:
        args = [arg for f in filters for arg in ("--filter", f)]
        found = inspect(self.client, *ids(self.client, "service", "ps", "-q", "--no-trunc", *args, service))
        return [read.task(t) for t in found]

    def before(self, stack: str, name: str) -> Before:
        found = self.service(stack, name)
        if found is None:
            return Before()
        return Before(read.update(found), frozenset(t.id for t in self.tasks(f"{stack}_{name}")))

    def observe(self, stack: str, name: str, target: str, before: Before) -> Observation:
        """The service now: what its spec asks for, its update, the tasks of the current spec
        that should run, and the tasks of ``target`` started since ``before`` that ended."""
        found = self.service(stack, name) or {}
        service = f"{stack}_{name}"
        current = self.tasks(service, "_up-to-date=true", "desired-state=running") if found else []
        every = self.tasks(service) if found else []
        ended = [t for t in every if t.id not in before.tasks and t.image == target and t.state in ENDED]
        return Observation(name=name, image=read.image(found), update=read.update(found), current=current, ended=ended)

    def serving(self, stack: str, name: str = "web") -> str | None:
        """The image the stack's service ``name`` is set to run (repository@sha256:...), or None."""
        found = self.service(stack, name)
        return read.image(found) if found else None

    def health_output(self, task: Task) -> str:
        """What a task's failing health checks said most often (its last one may only be the
        container being stopped), when it ran on this engine's node; else Swarm's error."""
        if not task.container:
            return task.error
        from python_on_whales.exceptions import DockerException

        try:
            found = inspect(self.client, task.container)  # none when on another node, or gone
        except DockerException:  # the engine could not say: what Swarm said will do
            return task.error
        checks = ((found[0].get("State", {}).get("Health") or {}).get("Log") or []) if found else []
        said = [(c.get("Output") or "").strip() for c in checks if c.get("ExitCode") != 0]
        return max(reversed(said), key=said.count) if said else task.error

    def deploy(self, plan: Plan) -> None:
        """`docker stack deploy` of ``plan``; it returns once Swarm has the new spec, not when it is done."""
        from python_on_whales.exceptions import DockerException

        with tempfile.TemporaryDirectory(prefix="stack-") as folder:
            files: list[str | Path] = [_as_version(Path(file), plan.version, Path(folder)) for file in plan.files]
            if plan.overlay is not None:
                overlay = Path(folder, "overlay.json")  # JSON is YAML: a Compose file as data
                overlay.write_text(json.dumps(plan.overlay))
                files.append(overlay)

            def deploy() -> None:
                self.client.stack.deploy(
                    plan.stack,
                    compose_files=files,
                    resolve_image="never",  # the images are pinned by digest already
                    with_registry_auth=True,  # nodes pull with this client's registry login
                    variables=plan.variables,
                )

            # Swarm bumps a service's version as it records an update's progress, so a spec read a
            # moment earlier may be refused (moby/swarmkit#1379). Deploying is idempotent: read it
            # again and retry, as moby's own tests do (moby/moby#39560).
            try:
                retried(
                    deploy,
                    pauses=[0.5 * attempt for attempt in range(1, OUT_OF_SEQUENCE_TRIES)],
                    passing=lambda error: "update out of sequence" in last_error_line(error),
                )
            except DockerException as error:
                raise ToolError(f"docker stack deploy failed: {last_error_line(error)}") from None

    # --- tidying up -----------------------------------------------------------------------------

    def prune_secrets(self, stack: str) -> list[str]:
        """Remove the stack's secrets that no service uses any more (older values of a rotated key)."""
        from python_on_whales.exceptions import DockerException

        label = f"label={STACK_LABEL}={stack}"
        used = set()
        for service in inspect(self.client, *ids(self.client, "service", "ls", "-q", "--filter", label)):
            for secret in service.get("Spec", {}).get("TaskTemplate", {}).get("ContainerSpec", {}).get("Secrets") or []:
                used.add(secret.get("SecretName"))
        removed = []
        for secret in inspect(self.client, *ids(self.client, "secret", "ls", "-q", "--filter", label)):
            name = secret.get("Spec", {}).get("Name", "")
            if name and name not in used:
                with contextlib.suppress(DockerException):  # a task that still uses it keeps it
                    self.client.secret.remove(name)
                    removed.append(name)
        return removed

    def parts(self, stack: str) -> StackParts:
        """What of the stack exists on the swarm: its services, networks and secrets."""
        label = f"label={STACK_LABEL}={stack}"
        return StackParts(
            services=self._names("service", label),
            networks=self._names("network", label),
            secrets=self._names("secret", label),
        )

    def _names(self, kind: str, label: str) -> list[str]:
        found = inspect(self.client, *ids(self.client, kind, "ls", "-q", "--filter", label))
        return sorted(item.get("Spec", {}).get("Name") or item.get("Name", "") for item in found)

    def containers_here(self, stack: str) -> int:
        """The stack's containers on the manager's own node, stopped ones included (another node's
        engine removes its own once their tasks are gone)."""
        return len(ids(self.client, "ps", "-aq", "--filter", f"label={STACK_LABEL}={stack}"))

    def remove_stack(self, stack: str) -> None:
        """`docker stack rm`: its services, secrets and, once no replica uses them, its networks. A
        network still in use by a stopping replica is not a failure (remove_networks takes it later);
        anything else is."""
        from python_on_whales.exceptions import DockerException

        try:
            self.client.stack.remove(stack)
        except DockerException as error:
            said = [line for line in (error.stderr or "").splitlines() if line.strip()]
            if not said or not all("network" in line.lower() for line in said):
                raise ToolError(f"docker stack rm {stack} failed: {last_error_line(error)}") from None

    def remove_networks(self, networks: list[str]) -> None:
        """Remove networks `docker stack rm` left behind; one still in use stays, for a later try."""
        from python_on_whales.exceptions import DockerException

        for network in networks:
            with contextlib.suppress(DockerException):
                self.client.network.remove(network)

    def logs(self, stack: str, *, follow: bool, tail: int | None) -> Iterator[tuple[str, bytes]]:
        """(``stdout`` or ``stderr``, bytes) of every replica of the app, each line prefixed by its task."""
        from python_on_whales.exceptions import DockerException

        try:
            yield from self.client.service.logs(f"{stack}_web", follow=follow, tail=tail, stream=True)
        except DockerException as error:
            raise ToolError(f"cannot read the logs of {stack}_web: {last_error_line(error)}") from None


def _as_version(file: Path, version: str, folder: Path) -> Path:
    """``file``, or a copy of it in ``folder`` that declares Compose file ``version`` instead."""
    text = file.read_text()
    declared = re.search(r'^version: "([^"]+)"$', text, re.MULTILINE)
    if declared is None or declared.group(1) == version:
        return file
    copy = folder / file.name
    copy.write_text(text.replace(declared.group(0), f'version: "{version}"', 1))
    return copy
