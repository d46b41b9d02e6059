"""Waiting for something to happen: one polling loop for every wait of the tooling, and the shape
in which a long wait reports its progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# How a long wait reports: (the line to show, what it is waiting on). The second part changes only
# when something new happened, so a log that is not a terminal gets one line per change
# (core.terminal.LiveLine is the usual receiver).
Progress = Callable[[str, str], None]


def silent(line: str, phase: str) -> None:
    """A Progress that shows nothing."""


class WaitTimeout(Exception):
    """``wait_until`` gave up: ``seconds`` passed without the predicate answering."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"nothing after {seconds:.0f}s")
        self.seconds = seconds


def wait_until(
    predicate: Callable[[], T | None],
    *,
    timeout: float,
    interval: float,
    on_tick: Callable[[float], None] | None = None,
) -> T:
    """The first truthy answer of ``predicate``, asked every ``interval`` seconds; WaitTimeout once
    ``timeout`` seconds have passed without one. ``on_tick(elapsed)`` runs after each falsy answer.
    A predicate that knows the wait is hopeless raises (a ToolError, say): that ends it at once."""
    started = time.monotonic()
    while True:
        answer = predicate()
        if answer:
            return answer
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            raise WaitTimeout(elapsed)
        if on_tick is not None:
            on_tick(elapsed)
        time.sleep(interval)
