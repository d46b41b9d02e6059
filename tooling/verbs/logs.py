"""`inv logs`: the service container's output as it was written, or the deployed replicas'."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from tooling.core.errors import ToolError, last_error_line
from tooling.engine.containers import require_container

if TYPE_CHECKING:
    from python_on_whales import DockerClient

    from tooling.engine.swarm import Swarm

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str) -> datetime | timedelta:
    """``10m``, ``1h30m``, ``2d`` (a duration back from now) or an ISO time such as ``2026-01-31T12:00``."""
    if _DURATION.sub("", text) == "" and text:
        return timedelta(**{_UNITS[unit]: int(n) for n, unit in _DURATION.findall(text)})
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ToolError(f"--since {text!r} is neither a duration (10m, 1h30m) nor a time (2026-01-31T12:00)") from None


def parse_tail(text: str | int | None) -> int | None:
    if text is None:
        return None
    if not str(text).isdigit():
        raise ToolError(f"--tail {text!r} is not a number of lines")
    return int(text)


def log_chunks(
    client: DockerClient, name: str, *, follow: bool, tail: str | int | None, since: str | None
) -> Iterator[tuple[str, bytes]]:
    """(``stdout`` or ``stderr``, bytes) as the container wrote them; ``follow`` keeps going until Ctrl-C."""
    from python_on_whales.exceptions import DockerException

    lines = parse_tail(tail)
    start = None if since is None else parse_since(since)
    container = require_container(client, name)
    try:
        # stream=True gives (source, bytes) pairs; the library's overloads don't say so.
        yield from cast(
            "Iterable[tuple[str, bytes]]",
            client.container.logs(container, follow=follow, tail=lines, since=start, stream=True),
        )
    except DockerException as error:
        raise ToolError(f"cannot read the logs of {name}: {last_error_line(error)}") from None


def stack_log_chunks(swarm: Swarm, stack: str, *, follow: bool, tail: str | int | None) -> Iterator[tuple[str, bytes]]:
    """Every replica of the stack's app, each line prefixed with its task; ``follow`` until Ctrl-C."""
    lines = parse_tail(tail)
    swarm.require_manager()
    if swarm.service(stack, "web") is None:
        raise ToolError(f"{stack} is not deployed on this swarm; deploy it with `inv deploy`")
    yield from swarm.logs(stack, follow=follow, tail=lines)
