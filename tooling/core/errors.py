"""The one exception the tooling raises for a failure a user can cause or fix, and the door that
turns it into one line."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


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

    return wrapper  # type: ignore[return-value]
