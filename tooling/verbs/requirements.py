"""`inv lock`: every environment's requirements, pinned with hashes from its input.

(In the code a pinned requirements file is "pinned", never "a lock": that word belongs to the
deploy lock, engine/history.py.) Each pinned file is universal (any platform, Python 3.11 and
newer) and compiled against the pinned files installed beside it, so that two environments never
pin a shared dependency differently. One that no longer satisfies its input is stale: `--check`
finds it without changing anything, because pinning again without upgrades changes nothing in a
file that is right.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tooling.core.errors import ToolError
from tooling.core.settings import ROOT

REQUIREMENTS = ROOT / "requirements"


@dataclass(frozen=True)
class Requirements:
    source: Path  # what is asked for (.in)
    pinned: Path  # what is installed (.txt, with hashes)
    beside: tuple[Path, ...] = ()  # pinned files installed in the same environments: constraints

    @property
    def name(self) -> str:
        return str(self.pinned.relative_to(ROOT))


SERVICE = Requirements(REQUIREMENTS / "service.in", REQUIREMENTS / "service.txt")
TASKS = Requirements(REQUIREMENTS / "tasks.in", REQUIREMENTS / "tasks.txt", (SERVICE.pinned,))
TEST = Requirements(REQUIREMENTS / "test.in", REQUIREMENTS / "test.txt", (SERVICE.pinned, TASKS.pinned))
ENVIRONMENTS = (
    SERVICE,  # the image
    TASKS,
    TEST,
    Requirements(REQUIREMENTS / "lint.in", REQUIREMENTS / "lint.txt", (SERVICE.pinned, TASKS.pinned, TEST.pinned)),
    Requirements(REQUIREMENTS / "bench.in", REQUIREMENTS / "bench.txt", (SERVICE.pinned, TASKS.pinned)),
    Requirements(REQUIREMENTS / "dev.in", ROOT / "requirements-dev.txt", (TASKS.pinned,)),  # the README's first command
)


def compile_pins(requirements: Requirements, output: Path, upgrade: bool = False) -> None:
    """Resolve ``requirements.source`` into ``output``; pins already in ``output`` are kept where they still fit."""
    uv = shutil.which("uv")
    if uv is None:
        raise ToolError("uv is not installed; `python -m pip install -r requirements-dev.txt` brings it")
    command = [uv, "pip", "compile", "--universal", "--python-version", "3.11", "--generate-hashes", "--quiet"]
    command += ["--custom-compile-command", "inv lock", str(requirements.source), "-o", str(output)]
    command += [arg for beside in requirements.beside for arg in ("-c", str(beside))]
    command += ["--upgrade"] if upgrade else []
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolError(f"cannot lock {requirements.source.relative_to(ROOT)}: {reason}")


def pin_all(upgrade: bool = False) -> list[str]:
    """Pin every environment again, in order; the files whose content changed."""
    changed = []
    for requirements in ENVIRONMENTS:
        before = requirements.pinned.read_text() if requirements.pinned.exists() else ""
        compile_pins(requirements, requirements.pinned, upgrade)
        if requirements.pinned.read_text() != before:
            changed.append(requirements.name)
    return changed


def stale() -> list[str]:
    """The pinned files that no longer satisfy their input (pinning again would change them)."""
    found = []
    with tempfile.TemporaryDirectory(prefix="pins-") as folder:
        for requirements in ENVIRONMENTS:
            if not requirements.pinned.exists():
                found.append(requirements.name)
                continue
            trial = Path(folder, requirements.pinned.name)
            shutil.copy(requirements.pinned, trial)
            compile_pins(requirements, trial)
            if trial.read_text() != requirements.pinned.read_text():
                found.append(requirements.name)
    return found


def require_current() -> None:
    """Raise, naming them, when some pinned files no longer match their input."""
    found = stale()
    if len(found) == 1:
        raise ToolError(f"{found[0]} no longer matches its input; run `inv lock` and commit the result")
    if found:
        raise ToolError(f"{', '.join(found)} no longer match their inputs; run `inv lock` and commit the result")


def lock(*, check: bool, upgrade: bool) -> str:
    """`inv lock`: pin every environment again (or, ``check``, only fail on a stale one); what to say."""
    if check:
        require_current()
        return "every pinned file matches its input"
    changed = pin_all(upgrade=upgrade)
    return f"relocked: {', '.join(changed)}" if changed else "every pinned file was already up to date"
