"""What is being shipped: the project's version and the checkout's git revision, asked of git."""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime

from tooling.core.errors import ToolError
from tooling.core.settings import ROOT


class GitMissing(ToolError):
    """There is no git to ask."""

    def __init__(self) -> None:
        super().__init__("git is not installed (or not on PATH); install it: a release is named by its git revision")


@dataclass(frozen=True)
class Metadata:
    version: str
    revision: str
    short: str
    created: str
    source: str


def _git(*args: str) -> str:
    """What git prints, or "" when it fails (outside a checkout, say); GitMissing when there is no git."""
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False)
    except FileNotFoundError:
        raise GitMissing() from None
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def head() -> str:
    """The checkout's HEAD commit, or "" outside a git checkout; GitMissing without git."""
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
    """Version, git revision and build time; "unknown" where there is none to tell (an image can be
    built from an unpacked tarball, or where git is not installed)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    try:
        found, short = revision(), head()[:7]
    except GitMissing:
        found, short = "unknown", ""
    return Metadata(
        version=project["version"],
        revision=found,
        short=short,
        created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        source=project.get("urls", {}).get("Source", "unknown"),
    )
