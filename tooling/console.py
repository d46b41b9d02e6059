"""Getting at the service's container from a terminal: a shell, one command, its logs."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from tooling.docker import first_line, labels, own_container
from tooling.errors import ToolError
from tooling.settings import Settings

if TYPE_CHECKING:
    from python_on_whales import DockerClient


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def open_shell(client: DockerClient, settings: Settings, *, cmd: str | None, root: bool, new: bool) -> str:
    """An interactive ``sh`` (cmd None), or ``sh -c cmd`` whose output is returned."""
    from python_on_whales.exceptions import DockerException

    command = ["sh"] if cmd is None else ["sh", "-c", cmd]
    interactive = cmd is None
    user = "0" if root else None
    output: object
    try:
        if new:
            if not client.image.exists(settings.reference):
                raise ToolError(f"image {settings.reference} is not built yet; run `inv build` first")
            output = client.run(
                settings.reference,
                command,
                remove=True,
                user=user,
                pull="never",
                interactive=interactive,
                tty=interactive,
                labels=labels(settings.project, "shell"),
            )
        else:
            container = own_container(client, settings.container)
            if not container.state.running:
                raise ToolError(f"{settings.container} is not running; start it with `inv run`")
            output = container.execute(command, user=user, interactive=interactive, tty=interactive)
    except DockerException as error:
        if interactive:  # the shell's own exit status, after the user saw what happened
            raise ToolError(f"the shell ended with code {error.return_code}", code=error.return_code or 1) from None
        raise ToolError(
            f"`{cmd}` failed with code {error.return_code}: {first_line(error)}", code=error.return_code or 1
        ) from None
    return str(output or "").rstrip()


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


def print_logs(client: DockerClient, name: str, *, follow: bool, tail: str | int | None, since: str | None) -> None:
    """The container's stdout and stderr, each to ours; ``follow`` until Ctrl-C."""
    from python_on_whales.exceptions import DockerException

    start = None if since is None else parse_since(since)
    container = own_container(client, name)
    try:
        # stream=True gives (source, bytes) pairs; the library's overloads don't say so.
        lines = cast(
            "Iterable[tuple[str, bytes]]",
            client.container.logs(
                container, follow=follow, tail=None if tail is None else int(tail), since=start, stream=True
            ),
        )
        for source, chunk in lines:
            out = sys.stdout if source == "stdout" else sys.stderr
            out.buffer.write(chunk)
            out.flush()
    except KeyboardInterrupt:
        return
    except DockerException as error:
        raise ToolError(f"cannot read the logs of {name}: {first_line(error)}") from None
