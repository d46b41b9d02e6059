"""How the tasks show things to people: a live status line, aligned tables, a relay of log chunks.

The verbs return data and tasks.py prints it, through these. (A build's own output is the other
stream that reaches the terminal: engine/build.py copies it to the stream the task hands it.)"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TextIO


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


class LiveLine:
    """One status line that rewrites itself on a terminal, and prints a line per change elsewhere.

    Call it with (line, phase), as the verbs' long waits report: on a terminal every call redraws
    the line; in a log, a line is printed only when the phase changes."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.live = self.out.isatty()
        self.phase: str | None = None

    def __call__(self, line: str, phase: str) -> None:
        if self.live:
            self.out.write(f"\r\033[K{line}")
            self.out.flush()
        elif phase != self.phase:
            print(line, file=self.out, flush=True)
        self.phase = phase

    def done(self, text: str = "") -> None:
        """Clear the live line and leave ``text`` (if any) in its place."""
        if self.live and self.phase is not None:
            self.out.write("\r\033[K")
            self.out.flush()
        if text:
            print(text, file=self.out, flush=True)
        self.phase = None

    def __enter__(self) -> LiveLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.done()  # an error's lines start on a line of their own


def table(rows: Sequence[dict[str, str]]) -> str:
    """Rows of the same keys as aligned columns under upper-case headings."""
    columns = list(rows[0])
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in columns}
    lines = [{k: k.upper() for k in columns}, *rows]
    return "\n".join("  ".join(row[k].ljust(widths[k]) for k in columns).rstrip() for row in lines)


def relay(chunks: Iterable[tuple[str, bytes]]) -> None:
    """Write (``stdout`` or ``stderr``, bytes) chunks to ours as they come, until they end or Ctrl-C."""
    try:
        for source, chunk in chunks:
            out = sys.stdout if source == "stdout" else sys.stderr
            out.buffer.write(chunk)
            out.flush()
    except KeyboardInterrupt:
        return  # how a --follow ends


def refresh(draw: Callable[[], str], *, every: float, once: bool = False, out: TextIO | None = None) -> None:
    """Print what ``draw`` gives, then again every ``every`` seconds until Ctrl-C: in place on a
    terminal, one after another in a log. ``once``: a single time."""
    out = out or sys.stdout
    try:
        while True:
            text = draw()
            print(("\033[H\033[J" if out.isatty() and not once else "") + text, file=out, flush=True)
            if once:
                return
            time.sleep(every)
            if not out.isatty():
                print(file=out)
    except KeyboardInterrupt:
        return  # how it ends
