"""The tasks' settings: declared once here, read from Invoke's config, checked before use.

Invoke layers them: these defaults, then ``invoke.yaml``, then ``INVOKE_DOCKER_*`` environment
variables; a task's flags come last, through the same ``Settings.load`` and the same checks.
Numbers are declared as strings because Invoke casts an environment variable to its default's
type and crashes with a traceback when that fails; they are parsed and checked here instead,
with one clear line for a bad value that names where it came from.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.core import checks
from tooling.core.errors import ToolError

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"
EDGE_CONTEXT = ROOT / "docker" / "edge"
MONITOR_CONTEXT = ROOT / "docker" / "monitor"
# The stack's images besides the app: each built from a folder of its own on a base image that is
# a setting (`<name>_base_image`, handed to its Dockerfile as this build arg), tagged by content.
PARTS = {"edge": (EDGE_CONTEXT, "NGINX_IMAGE"), "monitor": (MONITOR_CONTEXT, "PROMETHEUS_IMAGE")}
STACK_FILE = ROOT / "docker" / "stack.yml"

DEFAULTS: dict[str, Any] = {
    # The value of the project label on everything the tasks build and start; `inv clean` and
    # `inv status` see exactly what carries it. Tests use their own, so they never touch yours.
    "project": "flask-service",
    "image": "flask-service",
    "tag": "latest",
    "container": "flask-service",
    # Where `inv run` publishes the service: host:port on the host, 8000 in the container.
    "host": "127.0.0.1",
    "port": "5000",
    # Base image for the build (build arg PYTHON_IMAGE); empty means the Dockerfile's default.
    "base_image": "",
    # A file of KEY=VALUE lines passed to the container at `inv run`; empty means none.
    "env_file": "",
    # Seconds `inv run` waits for the container to turn healthy.
    "health_timeout": "60",
    # Seconds `docker stop` grants gunicorn to finish its requests before it kills.
    "stop_timeout": "25",
    # What the engine does when the service's process dies (docs/configuration.md, restart policy).
    "restart": "on-failure:5",
    # Run hardened: read-only root filesystem (tmpfs on /tmp), no capabilities.
    "hardened": True,
    # The app's access lines (GUNICORN_ACCESS_LOG): auto is json under `inv run` and off in the
    # stack, whose edge writes one per request; json, text or off say the same everywhere.
    "access_log": "auto",
    # --- beyond one machine (docs/deploying.md) ---
    # The swarm's manager, which every stack task (deploy, rollback, undeploy, status, logs --stack)
    # talks to: a Docker host URL (ssh://[user@]host[:port], tcp://host:port) or a Docker context's
    # name. Empty: the local engine, as the docker CLI has it. Building and pushing stay local.
    "manager": "",
    # Where `inv push` sends images and `inv deploy` takes them from: host[:port]/path, e.g.
    # 127.0.0.1:5001/team or ghcr.io/acme. Empty: not set up yet.
    "registry": "",
    # The Swarm stack `inv deploy` creates or updates.
    "stack": "flask-service",
    # The port of each swarm node where the stack's edge (nginx) answers.
    "stack_port": "8080",
    # How many replicas of the app the stack runs.
    "replicas": "2",
    # Base image for the edge (build arg NGINX_IMAGE); empty means docker/edge/Dockerfile's default.
    "edge_base_image": "",
    # Base image for the monitor (build arg PROMETHEUS_IMAGE); empty: docker/monitor/Dockerfile's.
    "monitor_base_image": "",
    # A file holding the app's SECRET_KEY, handed to the replicas as a Docker secret; empty: none.
    "secret_key_file": "",
    # Seconds `inv deploy` and `inv rollback` wait for the stack to converge before giving up.
    "deploy_timeout": "300",
    # After Swarm has converged, `inv deploy` judges the new release by its own traffic, read from
    # the stack's monitor, for this many seconds (10 or more): when its share of 5xx answers, over
    # at least analysis_min_requests requests, passes max_error_ratio, it rolls back.
    "analysis_seconds": "30",
    "analysis_min_requests": "100",
    "max_error_ratio": "0.01",
    # Where buildx reads and writes its layer cache (its --cache-from / --cache-to, e.g.
    # type=local,src=/tmp/cache); empty: its own. The classic builder has no such cache.
    "cache_from": "",
    "cache_to": "",
}

CONTAINER_PORT = 8000
# Images carry this label (set in docker/Dockerfile from the PROJECT build arg); containers the
# tasks start carry it and the role label.
PROJECT_LABEL = "dev.flask-service.project"
ROLE_LABEL = "dev.flask-service.role"
# What Docker puts on everything a stack deploy creates (services, networks, secrets, containers).
STACK_LABEL = "com.docker.stack.namespace"
# The image label that says which git revision an image was built from (docker/Dockerfile).
REVISION_LABEL = "org.opencontainers.image.revision"


def config_defaults() -> dict[str, Any]:
    """What ``ns.configure`` receives under the ``docker`` key."""
    return dict(DEFAULTS)


def config_source(key: str) -> str:
    """Where a setting that came from configuration can be fixed."""
    return f"docker.{key} (invoke.yaml or INVOKE_DOCKER_{key.upper()})"


def flag_source(key: str) -> str:
    return "--" + key.replace("_", "-")


@dataclass(frozen=True)
class Settings:
    project: str
    image: str
    tag: str
    container: str
    host: str
    port: int
    base_image: str
    env_file: str
    health_timeout: int
    stop_timeout: int
    restart: str
    hardened: bool
    access_log: str
    manager: str
    registry: str
    stack: str
    stack_port: int
    replicas: int
    edge_base_image: str
    monitor_base_image: str
    secret_key_file: str
    deploy_timeout: int
    analysis_seconds: int
    analysis_min_requests: int
    max_error_ratio: float
    cache_from: str
    cache_to: str

    @classmethod
    def load(cls, config: Mapping[str, Any], flags: Mapping[str, object] | None = None) -> Settings:
        """Check every value of ``config`` (Invoke's ``c.config.docker``) with the ``flags`` that
        were given laid over it (a flag beats config; None means not given); one line per mistake,
        naming the flag or the setting it came from."""
        given = {key: value for key, value in (flags or {}).items() if value is not None}
        unknown = sorted(set(config) - set(DEFAULTS)) or sorted(set(given) - set(DEFAULTS))
        if unknown:
            raise ToolError(f"unknown setting docker.{unknown[0]}; known: {', '.join(DEFAULTS)}")
        values = {**DEFAULTS, **config, **given}

        def where(key: str) -> str:
            return flag_source(key) if key in given else config_source(key)

        return cls(
            project=checks.text(where("project"), values["project"], checks.NAME),
            image=checks.text(where("image"), values["image"], checks.IMAGE),
            tag=checks.text(where("tag"), values["tag"], checks.TAG),
            container=checks.text(where("container"), values["container"], checks.NAME),
            host=checks.address(where("host"), values["host"]),
            port=checks.port(where("port"), values["port"]),
            base_image=checks.text(where("base_image"), values["base_image"] or ""),
            env_file=checks.text(where("env_file"), values["env_file"] or ""),
            health_timeout=checks.seconds(where("health_timeout"), values["health_timeout"]),
            stop_timeout=checks.seconds(where("stop_timeout"), values["stop_timeout"]),
            restart=checks.text(where("restart"), values["restart"], checks.RESTART),
            hardened=checks.flag(where("hardened"), values["hardened"]),
            access_log=checks.text(where("access_log"), values["access_log"], checks.ACCESS_LOG),
            manager=checks.manager(where("manager"), values["manager"] or ""),
            registry=checks.text(where("registry"), (values["registry"] or "").rstrip("/"), checks.OPTIONAL_REGISTRY),
            stack=checks.text(where("stack"), values["stack"], checks.NAME),
            stack_port=checks.count(where("stack_port"), values["stack_port"], 1, 65535, "a port"),
            replicas=checks.count(where("replicas"), values["replicas"], 1, 100, "a number of replicas"),
            edge_base_image=checks.text(where("edge_base_image"), values["edge_base_image"] or ""),
            monitor_base_image=checks.text(where("monitor_base_image"), values["monitor_base_image"] or ""),
            secret_key_file=checks.text(where("secret_key_file"), values["secret_key_file"] or ""),
            deploy_timeout=checks.seconds(where("deploy_timeout"), values["deploy_timeout"]),
            analysis_seconds=checks.count(
                where("analysis_seconds"), values["analysis_seconds"], 10, 3600, "a number of seconds"
            ),
            analysis_min_requests=checks.count(
                where("analysis_min_requests"), values["analysis_min_requests"], 1, 10**9, "a number of requests"
            ),
            max_error_ratio=checks.ratio(where("max_error_ratio"), values["max_error_ratio"]),
            cache_from=checks.text(where("cache_from"), values["cache_from"] or ""),
            cache_to=checks.text(where("cache_to"), values["cache_to"] or ""),
        )

    def override(self, **values: object) -> Settings:
        """These settings with ``values`` laid over them, checked like everything else (tests and
        the benchmark run under names and tags of their own this way)."""
        return Settings.load({**dataclasses.asdict(self), **values})

    def access_lines(self, where: str) -> str:
        """GUNICORN_ACCESS_LOG for ``where`` ("run" or "stack"): what docker.access_log says."""
        if self.access_log != "auto":
            return self.access_log
        return "json" if where == "run" else "off"

    @property
    def reference(self) -> str:
        return f"{self.image}:{self.tag}"

    def part_image(self, part: str) -> str:
        """The name of the stack's image ``part`` (edge, monitor); its tag follows its folder's content."""
        return f"{self.image}-{part}"

    def part_base_image(self, part: str) -> str:
        """The base image setting of the stack's image ``part``; empty: its Dockerfile's default."""
        return str(getattr(self, f"{part}_base_image"))

    @property
    def python_image(self) -> str:
        """The base image a build uses: the setting, or else the Dockerfile's default."""
        return self.base_image or dockerfile_base_image()


def from_invoke() -> Settings:
    """Settings as `inv` sees them (defaults, invoke.yaml, INVOKE_DOCKER_*), for code outside tasks."""
    from invoke import Config

    config = Config(defaults={"docker": config_defaults()}, project_location=ROOT)
    config.load_project()
    config.load_shell_env()
    return Settings.load(config.docker)


def dockerfile_base_image() -> str:
    """The base image the Dockerfile uses when no PYTHON_IMAGE build arg is given."""
    match = re.search(r"^ARG PYTHON_IMAGE=(\S+)", DOCKERFILE.read_text(), re.MULTILINE)
    return match.group(1) if match else "unknown"
