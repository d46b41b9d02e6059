"""`inv doctor`: can this machine build and run the service, and reach the swarm it deploys to?
Each check says what to do; the last line says what is blocked."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tooling.core.errors import ToolError, last_error_line
from tooling.core.settings import STACK_LABEL, Settings
from tooling.engine import containers, registry
from tooling.engine.client import EngineUnavailable

if TYPE_CHECKING:
    from python_on_whales import DockerClient

    from tooling.engine.engines import Engines

MIN_FREE_BYTES = 2 * 1024**3
RUN, DEPLOY = "`inv build run`", "`inv deploy`"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    blocks: str = RUN  # what a failure stops: RUN, DEPLOY, or "" for a warning

    @property
    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.blocks else "warn")
        fix = f"  -> {self.fix}" if self.fix and not self.ok else ""
        return f"{mark}  {self.name:<14} {self.detail}{fix}"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    line: str  # the last line of `inv doctor`


def verdict(checks: list[Check]) -> Verdict:
    failed = [check for check in checks if not check.ok and check.blocks]
    if not failed:
        return Verdict(True, "ready: `inv build run` should work")
    blocked = " and ".join(dict.fromkeys(check.blocks for check in failed))
    return Verdict(False, f"{len(failed)} problem(s) block {blocked}: {', '.join(c.name for c in failed)}")


def run_checks(settings: Settings, engines: Engines) -> list[Check]:
    """Every check, in the order a newcomer would fix them; later ones need the earlier ones."""
    try:
        client = engines.local
    except EngineUnavailable as error:
        found = [Check("docker client", True, shutil.which("docker") or "?")] if error.part == "daemon" else []
        return [*found, Check(f"docker {error.part}", False, error.problem, error.fix)]
    version = client.version()
    server = version.server.version if version.server else "?"
    client_version = version.client.version if version.client else "?"
    checks = [
        Check("docker client", True, f"{client_version} ({shutil.which('docker')})"),
        Check("docker daemon", True, f"Engine {server}"),
        _builder(client),
        _base_image(client, settings),
        _port(client, settings),
        _disk(client),
        _registry(client, settings),
    ]
    # What `inv deploy` needs of the swarm: checked on the manager when one is set (and then it
    # blocks), else on this engine, where not being in a swarm is fine for `inv build run`.
    if engines.remote:
        return checks + _manager(settings, engines)
    return [*checks, _local_swarm(engines), _stack_port(client, settings)]


def _builder(client: DockerClient) -> Check:
    if client.buildx.is_installed():
        return Check("builder", True, "buildx (BuildKit)")
    return Check(
        "builder",
        False,
        "buildx is not installed; builds use the classic builder",
        "fine for this project; install the buildx plugin for BuildKit's speed",
        blocks="",
    )


def _base_image(client: DockerClient, settings: Settings) -> Check:
    from python_on_whales.exceptions import DockerException

    name = settings.python_image
    if client.image.exists(name):
        return Check("base image", True, f"{name} is present")
    try:
        client.manifest.inspect(name)
    except DockerException:
        return Check(
            "base image",
            False,
            f"{name} is not here and no registry answers for it",
            "pull it, or set docker.base_image (INVOKE_DOCKER_BASE_IMAGE) to an image you have or a mirror's",
        )
    return Check("base image", True, f"{name} can be pulled")


def _port(client: DockerClient, settings: Settings) -> Check:
    label = f"{settings.host}:{settings.port}"
    if settings.port == 0:
        return Check("host port", True, "0: any free port")
    try:
        free = containers.port_is_free(settings.host, settings.port)
    except ToolError as error:
        return Check("host port", False, label, error.message)
    if free:
        return Check("host port", True, f"{label} is free")
    ours = containers.find_container(client, settings.container)
    if ours is not None and containers.started_by_tasks(ours) and ours.state.running:
        return Check("host port", True, f"{label} is held by this project's {ours.name}")
    return Check("host port", False, f"{label} is in use", "stop what holds it, or use --port N / --port 0")


def _disk(client: DockerClient) -> Check:
    try:
        root = client.info().docker_root_dir or "/"
        free = shutil.disk_usage(root).free
    except (OSError, AttributeError):
        free = shutil.disk_usage(os.getcwd()).free
    detail = f"{free / 1024**3:.1f} GiB free"
    if free < MIN_FREE_BYTES:
        return Check("disk", False, detail, "free some space: `inv clean`, or prune what you no longer need")
    return Check("disk", True, detail)


def _registry(client: DockerClient, settings: Settings) -> Check:
    if not settings.registry:
        return Check(
            "registry", False, "docker.registry is not set", "for `inv push`: set INVOKE_DOCKER_REGISTRY", blocks=""
        )
    probe = f"{settings.registry}/{settings.image}:doctor-probe"
    try:
        registry.digest_of(client, probe)  # None (not there) is an answer too
    except ToolError as error:
        return Check("registry", False, settings.registry, error.message, blocks="")
    return Check("registry", True, f"{settings.registry} answers")


def _local_swarm(engines: Engines) -> Check:
    found = engines.swarm.membership()
    if found.state == "active" and found.manager:
        return Check("swarm", True, "this engine is a swarm manager: `inv deploy` can deploy here")
    active = found.state == "active"
    detail = "this engine is a swarm worker" if active else f"this engine is not in a swarm ({found.state})"
    fix = "set docker.manager to a manager of the swarm" if active else "for `inv deploy`: `docker swarm init`"
    return Check("swarm", False, detail, fix, blocks="")


def _stack_port(client: DockerClient, settings: Settings) -> Check:
    label = f"0.0.0.0:{settings.stack_port}"
    try:
        free = containers.port_is_free("0.0.0.0", settings.stack_port)
    except ToolError as error:
        return Check("stack port", False, label, error.message, blocks="")
    if free:
        return Check("stack port", True, f"{label} is free for the stack's edge")
    edges = client.container.list(filters=[("label", f"{STACK_LABEL}={settings.stack}")])
    if any(c.name.startswith(f"{settings.stack}_edge.") for c in edges):
        return Check("stack port", True, f"{label} is held by the edge of {settings.stack}")
    fix = "stop what holds it, or set docker.stack_port (INVOKE_DOCKER_STACK_PORT)"
    return Check("stack port", False, f"{label} is in use", fix, blocks="")


def _manager(settings: Settings, engines: Engines) -> list[Check]:
    """The swarm docker.manager names: reachable, a manager, its nodes ready, the quorum kept,
    their engines, and the registry as the manager's engine reaches it (it pulls for the nodes)."""
    from python_on_whales.exceptions import DockerException

    try:
        manager = engines.manager
    except EngineUnavailable as error:
        return [Check("manager", False, error.problem, error.fix, blocks=DEPLOY)]
    swarm = engines.swarm
    found = swarm.membership()
    where = settings.manager
    if found.state != "active" or not found.manager:
        what = "a swarm worker" if found.state == "active" else f"not in a swarm ({found.state})"
        return [Check("manager", False, f"{where} is {what}", "point docker.manager at a manager", blocks=DEPLOY)]
    answers = Check("manager", True, f"{where} answers and manages the swarm")
    try:
        nodes = swarm.nodes()
    except DockerException as error:  # `docker info` still answers a swarm without a leader; its lists do not
        said = last_error_line(error)
        if "does not have a leader" in said:
            fix = "bring managers back: without a majority the swarm has no leader and takes no change"
            return [answers, Check("quorum", False, f"{where} cannot list the nodes: {said}", fix, blocks=DEPLOY)]
        fix = "try again; `docker node ls` on the manager shows what it says"
        return [answers, Check("nodes", False, f"{where} did not list the nodes: {said}", fix, blocks=DEPLOY)]
    ready = [n for n in nodes if n.state == "ready"]
    managers = [n for n in nodes if n.role == "manager"]
    reachable = [n for n in managers if n.reachability == "reachable"]
    quorum = len(reachable) > len(managers) // 2
    engines_seen = ", ".join(f"{n.hostname} {n.engine}" for n in nodes)
    checks = [
        answers,
        Check("nodes", len(ready) == len(nodes), f"{len(ready)} of {len(nodes)} ready", "see `inv status`", blocks=""),
        Check(
            "quorum",
            quorum,
            f"{len(reachable)} of {len(managers)} managers reachable",
            "bring managers back: without a majority the swarm takes no change",
            blocks=DEPLOY,
        ),
        Check("engines", True, engines_seen),
    ]
    if settings.registry:
        probe = f"{settings.registry}/{settings.image}:doctor-probe-absent"
        try:
            manager.image.pull(probe, quiet=True)
            problem = ""
        except DockerException as error:
            problem = pull_failure(last_error_line(error))
        fix = "the nodes pull from it: make it reachable from them under this same name"
        detail = f"{settings.registry} answers the manager" if not problem else f"{settings.registry}: {problem}"
        checks.append(Check("registry (manager)", not problem, detail, fix, blocks=DEPLOY))
    return checks


def pull_failure(line: str) -> str:
    """ "" when a failed pull of a tag that does not exist shows the registry answered; else why not."""
    said = line.lower()
    return "" if ("not found" in said or "manifest unknown" in said or "does not exist" in said) else line
