"""The one exception the tooling raises for a failure a user can cause or fix, the door that turns
it into one line, and the one line of a docker error that says what happened."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Lines the CLI adds to its errors that never say what went wrong.
_NOISE = ("DEPRECATED", "Install the buildx", "https://docs.docker.com/go/buildx")
# The docker CLI's global options that take a value (the others are flags), left out when a failed
# command is named.
_VALUED = {"--config", "--context", "-c", "--host", "-H", "--log-level", "-l", "--tlscacert", "--tlscert", "--tlskey"}


class ToolError(Exception):
    """What happened and what to do, in one line; ``code`` is the exit code.

    ``details`` is what helps to understand it (a container's last log lines, say): shown above
    the line, never instead of it."""

    def __init__(self, message: str, code: int = 1, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


def exits_cleanly(task: F) -> F:
    """Turn ToolError (and Ctrl-C) into invoke's Exit: one line on stderr, non-zero, no traceback."""

    @functools.wraps(task)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from invoke.exceptions import Exit

        try:
            return task(*args, **kwargs)
        except ToolError as error:
            if error.details:
                print(error.details.rstrip(), file=sys.stderr)
            raise Exit(f"error: {error.message}", code=error.code) from None
        except KeyboardInterrupt:
            raise Exit("interrupted", code=130) from None
        except Exception as error:
            command = getattr(error, "docker_command", None)  # python-on-whales' DockerException
            if not isinstance(command, list) or os.environ.get("INVOKE_DEBUG"):
                raise
            # A docker command failed where nothing expected it to (the swarm lost its leader, an
            # SSH connection dropped): what the engine said, not a traceback (INVOKE_DEBUG=1 shows it).
            said = f"`{_named(command)}` failed: {last_error_line(error)}"
            raise Exit(f"error: {said}; `inv doctor` says what the engine can do", code=1) from None

    return wrapper  # type: ignore[return-value]


def _named(command: list[str]) -> str:
    """`docker node ls`: the subcommand's words, after the client's global options, up to its own."""
    words = command[1:]
    at = 0
    while at < len(words) and words[at].startswith("-"):
        at += 2 if words[at] in _VALUED else 1  # `--host=x` and flags are one word
    named = []
    for word in words[at:]:
        if word.startswith("-"):
            break
        named.append(word)
    return " ".join(["docker", *named])


def last_error_line(error: Any, limit: int = 240) -> str:
    """The most telling line of a docker error (python-on-whales' DockerException, or its text):
    its last non-empty line that is not a notice, shortened."""
    if isinstance(error, str) or error is None:
        text = error
    else:  # its str() is python-on-whales' summary, which never names the cause
        text = error.stderr or error.stdout or f"`{' '.join(error.docker_command)}` exited with {error.return_code}"
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(_NOISE)]
    line = lines[-1] if lines else "no error output"
    return line if len(line) <= limit else line[: limit - 1] + "…"
