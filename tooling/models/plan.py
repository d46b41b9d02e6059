"""What one `docker stack deploy` is asked to do: the stack file, the variables it is filled with
(images pinned by digest, replicas, port), and an overlay for the app's secret. Data only."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.core.errors import ToolError
from tooling.core.settings import STACK_FILE, Settings
from tooling.models.health import Cadence
from tooling.models.release import Release

SECRET_TARGET = "secret_key"
START_INTERVAL_COMPOSE = "3.12"  # the first Compose file version whose healthcheck has start_interval


def network(stack: str) -> str:
    """The stack's attachable network (docker/stack.yml's `backend`): the replicas, the edges, the
    monitor, and the tasks' probe that asks it."""
    return f"{stack}_backend"


@dataclass(frozen=True)
class Secret:
    name: str  # carries a hash of the value: a Docker secret cannot change in place
    file: Path


def secret(stack: str, value: bytes, file: Path) -> Secret:
    """The Docker secret that holds ``value`` (read from ``file``) for ``stack``."""
    return Secret(name=f"{stack}_{SECRET_TARGET}_{hashlib.sha256(value).hexdigest()[:12]}", file=file)


@dataclass(frozen=True)
class Plan:
    """The arguments of one `docker stack deploy`."""

    stack: str
    files: list[Path]
    variables: dict[str, str]
    overlay: dict[str, Any] | None = None  # laid over docker/stack.yml (a secret, a health cadence)
    # The Compose file version every file is read as: docker/stack.yml says 3.8, which any docker CLI
    # reads; a health check's start_interval needs 3.12 (docker CLI 25+), and all files must agree.
    version: str = "3.8"


def plan(settings: Settings, release: Release, replicas: int, key: Secret | None, pace: Cadence | None = None) -> Plan:
    """The stack file filled in; an overlay sets the app's secret and, on an engine that has a start
    interval, the health cadence (models/health.py) and the shorter update monitor it allows."""
    if not release.monitor:
        raise ToolError(f"{release.describe()} names no monitor image; run `inv push` and deploy again")
    variables = {
        "WEB_IMAGE": release.web,
        "EDGE_IMAGE": release.edge,
        "MONITOR_IMAGE": release.monitor,
        "WEB_REPLICAS": str(replicas),
        "STACK_PORT": str(settings.stack_port),
        "PROJECT": settings.project,
        "ACCESS_LOG": settings.access_lines("stack"),
    }
    web: dict[str, Any] = {}
    version = START_INTERVAL_COMPOSE if pace is not None else "3.8"
    overlay: dict[str, Any] = {"version": version, "services": {"web": web}}
    if key is not None:
        web["environment"] = {"SERVICE_SECRET_KEY_FILE": f"/run/secrets/{SECRET_TARGET}"}
        web["secrets"] = [{"source": SECRET_TARGET, "target": SECRET_TARGET}]
        overlay["secrets"] = {SECRET_TARGET: {"name": key.name, "file": str(key.file)}}
    if pace is not None:
        web["healthcheck"] = pace.compose()
        web["deploy"] = {
            "update_config": {"monitor": f"{pace.monitor}s"},
            "rollback_config": {"monitor": f"{pace.monitor}s"},
        }
    return Plan(settings.stack, [STACK_FILE], variables, overlay if web else None, version)
