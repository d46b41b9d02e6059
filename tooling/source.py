"""What is being shipped: the project's version and the checkout's git revision."""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime

from tooling.settings import ROOT


@dataclass(frozen=True)
class Metadata:
    version: str
    revision: str
    short: str
    created: str
    source: str


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def head() -> str:
    """The checkout's HEAD commit, or "" outside a git checkout."""
    return _git("rev-parse", "HEAD")


def dirty() -> bool:
    """Whether tracked files differ from HEAD (untracked files never reach the image)."""
    return bool(_git("status", "--porcelain", "--untracked-files=no"))


def revision() -> str:
    """HEAD, with "-dirty" when tracked files differ from it; "unknown" outside a git checkout.
    It is what an image built from this checkout carries in its revision label."""
    commit = head()
    if not commit:
        return "unknown"
    return commit + ("-dirty" if dirty() else "")


def metadata() -> Metadata:
    """Version, git revision and build time; "unknown" where there is none to tell."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return Metadata(
        version=project["version"],
        revision=revision(),
        short=head()[:7],
        created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        source=project.get("urls", {}).get("Source", "unknown"),
    )
