"""`inv shell`: a shell in the service's container, or one command there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tooling.core.errors import ToolError, last_error_line
from tooling.core.settings import Settings
from tooling.engine.containers import labels, require_container

if TYPE_CHECKING:
    from python_on_whales import DockerClient


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
            container = require_container(client, settings.container)
            if not container.state.running:
                raise ToolError(f"{settings.container} is not running; start it with `inv run`")
            output = container.execute(command, user=user, interactive=interactive, tty=interactive)
    except DockerException as error:
        if interactive:  # the shell's own exit status, after the user saw what happened
            raise ToolError(f"the shell ended with code {error.return_code}", code=error.return_code or 1) from None
        raise ToolError(
            f"`{cmd}` failed with code {error.return_code}: {last_error_line(error)}",
            code=error.return_code or 1,
        ) from None
    return str(output or "").rstrip()
