"""`inv lock`: every environment's requirements, locked with hashes from its input.

Each lock is universal (any platform, Python 3.11 and newer) and compiled against the locks it is
installed beside, so that two environments never pin a shared dependency differently. A lock that
no longer satisfies its input is stale: `--check` finds it without changing anything, because
re-locking without upgrades changes nothing in a lock that is right.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tooling.errors import ToolError
from tooling.settings import ROOT

REQUIREMENTS = ROOT / "requirements"


@dataclass(frozen=True)
class Lock:
    source: Path  # what is asked for (.in)
    lock: Path  # what is installed (.txt, with hashes)
    beside: tuple[Path, ...] = ()  # locks installed in the same environments: their pins are constraints

    @property
    def name(self) -> str:
        return str(self.lock.relative_to(ROOT))


SERVICE = Lock(REQUIREMENTS / "service.in", REQUIREMENTS / "service.txt")
TASKS = Lock(REQUIREMENTS / "tasks.in", REQUIREMENTS / "tasks.txt", (SERVICE.lock,))
TEST = Lock(REQUIREMENTS / "test.in", REQUIREMENTS / "test.txt", (SERVICE.lock, TASKS.lock))
LOCKS = (
    SERVICE,  # the image
    TASKS,
    TEST,
    Lock(REQUIREMENTS / "lint.in", REQUIREMENTS / "lint.txt", (SERVICE.lock, TASKS.lock, TEST.lock)),
    Lock(REQUIREMENTS / "bench.in", REQUIREMENTS / "bench.txt", (SERVICE.lock, TASKS.lock)),
    Lock(REQUIREMENTS / "dev.in", ROOT / "requirements-dev.txt", (TASKS.lock,)),  # the README's first command
)


def compile_lock(lock: Lock, output: Path, upgrade: bool = False) -> None:
    """Resolve ``lock.source`` into ``output``; pins already in ``output`` are kept where they still fit."""
    uv = shutil.which("uv")
    if uv is None:
        raise ToolError("uv is not installed; `python -m pip install -r requirements-dev.txt` brings it")
    command = [uv, "pip", "compile", "--universal", "--python-version", "3.11", "--generate-hashes", "--quiet"]
    command += ["--custom-compile-command", "inv lock", str(lock.source), "-o", str(output)]
    command += [arg for beside in lock.beside for arg in ("-c", str(beside))]
    command += ["--upgrade"] if upgrade else []
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolError(f"cannot lock {lock.source.relative_to(ROOT)}: {reason}")


def relock(upgrade: bool = False) -> list[str]:
    """Regenerate every lock, in order; the ones whose content changed."""
    changed = []
    for lock in LOCKS:
        before = lock.lock.read_text() if lock.lock.exists() else ""
        compile_lock(lock, lock.lock, upgrade)
        if lock.lock.read_text() != before:
            changed.append(lock.name)
    return changed


def stale() -> list[str]:
    """The locks that no longer satisfy their input (re-locking them would change them)."""
    found = []
    with tempfile.TemporaryDirectory(prefix="locks-") as folder:
        for lock in LOCKS:
            if not lock.lock.exists():
                found.append(lock.name)
                continue
            trial = Path(folder, lock.lock.name)
            shutil.copy(lock.lock, trial)
            compile_lock(lock, trial)
            if trial.read_text() != lock.lock.read_text():
                found.append(lock.name)
    return found


def require_current() -> None:
    """Raise, naming them, when some locks no longer match their input."""
    found = stale()
    if len(found) == 1:
        raise ToolError(f"{found[0]} no longer matches its input; run `inv lock` and commit the result")
    if found:
        raise ToolError(f"{', '.join(found)} no longer match their inputs; run `inv lock` and commit the result")
