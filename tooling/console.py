"""Getting at the service's container from a terminal: a shell, one command, its logs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tooling.docker import first_line, labels, own_container
from tooling.errors import ToolError
from tooling.settings import Settings

if TYPE_CHECKING:
    from python_on_whales import DockerClient


def open_shell(client: DockerClient, settings: Settings, *, cmd: str | None, root: bool, new: bool) -> str:
    """An interactive ``sh`` (cmd None), or ``sh -c cmd`` whose output is returned."""
    from python_on_whales.exceptions import DockerException

    command = ["sh"] if cmd is None else ["sh", "-c", cmd]
    interactive = cmd is None
    user = "0" if root else None
    try:
        if new:
            if not client.image.exists(settings.reference):
                raise ToolError(f"image {settings.reference} is not built yet; run `inv build` first")
            output = client.run(
                settings.reference, command, remove=True, user=user, pull="never",
                interactive=interactive, tty=interactive, labels=labels("shell"),
            )
        else:
            container = own_container(client, settings.container)
            if not container.state.running:
                raise ToolError(f"{settings.container} is not running; start it with `inv run`")
            output = container.execute(command, user=user, interactive=interactive, tty=interactive)
    except DockerException as error:
        if interactive:  # the shell's own exit status, after the user saw what happened
            raise ToolError(f"the shell ended with code {error.return_code}", code=error.return_code or 1) from None
        raise ToolError(f"`{cmd}` failed with code {error.return_code}: {first_line(error)}", code=error.return_code or 1) from None
    return str(output or "").rstrip()


def print_logs(client: DockerClient, name: str, *, follow: bool, tail: str | int | None, since: str | None) -> None:
    """The container's stdout and stderr, each to ours; ``follow`` until Ctrl-C."""
    from python_on_whales.exceptions import DockerException

    container = own_container(client, name)
    try:
        lines = client.container.logs(
            container, follow=follow, tail=None if tail is None else int(tail), since=since, stream=True
        )
        for source, chunk in lines:
            (sys.stdout if source == "stdout" else sys.stderr).buffer.write(chunk)
            (sys.stdout if source == "stdout" else sys.stderr).flush()
    except KeyboardInterrupt:
        return
    except DockerException as error:
        raise ToolError(f"cannot read the logs of {name}: {first_line(error)}") from None
