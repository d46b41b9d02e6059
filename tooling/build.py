"""Building the service's image, with buildx where the client has it, the classic builder where not."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from tooling import engine
from tooling.errors import ToolError
from tooling.settings import DOCKERFILE, ROOT, Settings

if TYPE_CHECKING:
    from python_on_whales import DockerClient, Image

# Build args end up in `docker history`: refuse the ones that look like secrets.
_SECRET = re.compile(r"(PASS|SECRET|TOKEN|KEY|CREDENTIAL)", re.IGNORECASE)
# "Step 3/14 : RUN ..." (classic builder) and "#8 [builder 3/4] RUN ..." (buildx, plain progress).
_STEP = re.compile(r"^(Step \d+/\d+ : .*|#\d+ \[[^\]]*\d+/\d+\] .*)$")


@dataclass(frozen=True)
class Metadata:
    version: str
    revision: str
    short: str
    created: str
    source: str


@dataclass(frozen=True)
class Built:
    image: Image
    tags: list[str]
    seconds: float


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def metadata() -> Metadata:
    """Version, git revision and build time; "unknown" where there is none to tell."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    revision = _git("rev-parse", "HEAD")
    dirty = bool(revision) and bool(_git("status", "--porcelain", "--untracked-files=no"))
    return Metadata(
        version=project["version"],
        revision=(revision + ("-dirty" if dirty else "")) if revision else "unknown",
        short=revision[:7],
        created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        source=project.get("urls", {}).get("Source", "unknown"),
    )


def parse_build_args(pairs: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings from ``--build-arg``, checked."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ToolError(f"--build-arg {pair!r} is not KEY=VALUE")
        if _SECRET.search(key):
            raise ToolError(
                f"--build-arg {key} looks like a secret, and build args are kept in the image history; "
                "pass it at run time with an env file (docker.env_file or --env-file)"
            )
        parsed[key] = value
    return parsed


class _StepTracker(io.TextIOBase):
    """Passes build output through, remembering the last step that started."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = ""

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if _STEP.match(line.strip()):
                self.step = line.strip()
        self.out.write(text)
        self.out.flush()
        return len(text)


def build_image(
    client: DockerClient,
    settings: Settings,
    *,
    tags: list[str] | None = None,
    no_cache: bool = False,
    pull: bool = False,
    build_args: Iterable[str] = (),
    out: TextIO | None = None,
    context: Path = ROOT,
) -> Built:
    """Build ``context``'s docker/Dockerfile (the repository's by default), streaming its output to
    ``out``; tags default to the configured tag and the git sha."""
    meta = metadata()
    args = {
        "PROJECT": settings.project,
        "VERSION": meta.version,
        "REVISION": meta.revision,
        "CREATED": meta.created,
        "SOURCE": meta.source,
    }
    if settings.base_image:
        args["PYTHON_IMAGE"] = settings.base_image
    args.update(parse_build_args(build_args))
    if tags is None:
        tags = [settings.reference] + ([f"{settings.image}:{meta.short}"] if meta.short else [])
    return build_context(
        client,
        context,
        project=settings.project,
        dockerfile=context / DOCKERFILE.relative_to(ROOT),
        tags=tags,
        build_args=args,
        cache=not no_cache,
        pull=pull,
        out=out,
    )


def build_context(
    client: DockerClient,
    context: Path,
    *,
    project: str,
    tags: list[str],
    build_args: dict[str, str],
    dockerfile: Path | None = None,
    labels: dict[str, str] | None = None,
    cache: bool = True,
    pull: bool = False,
    out: TextIO | None = None,
) -> Built:
    """Build ``context`` with buildx where the client has it and the classic builder where not,
    streaming the output to ``out``; a failure names the step it failed at. The image must carry
    ``project``'s label (from its Dockerfile or ``labels``): a failed classic build's leftovers
    are found by it."""
    from python_on_whales.exceptions import DockerException

    out = out or sys.stdout
    use_buildx = client.buildx.is_installed()
    builder = "buildx (BuildKit)" if use_buildx else "the classic builder (buildx is not installed)"
    print(f"building {', '.join(tags)} with {builder}", file=out, flush=True)
    tracker = _StepTracker(out)
    started = time.monotonic()
    since = datetime.now(UTC) - timedelta(seconds=5)  # slack for an engine clock in a VM
    common: dict[str, Any] = {"tags": tags, "build_args": build_args, "cache": cache, "pull": pull}
    if dockerfile is not None:
        common["file"] = dockerfile
    if labels:
        common["labels"] = labels
    try:
        if use_buildx:
            lines = client.buildx.build(context, load=True, progress="plain", stream_logs=True, **common)
            for line in cast("Iterator[str]", lines):
                tracker.write(line if line.endswith("\n") else line + "\n")
        else:
            # The classic builder's output arrives through print(); the tracker sees each line.
            with contextlib.redirect_stdout(tracker):
                client.legacy_build(context, quiet=False, **common)
    except DockerException as error:
        if not use_buildx:
            _remove_failed_step_containers(client, project, since)
        raise ToolError(_build_failure(tracker.step, engine.last_error_line(error))) from None
    seconds = time.monotonic() - started
    return Built(image=client.image.inspect(tags[0]), tags=tags, seconds=seconds)


def _remove_failed_step_containers(client: DockerClient, project: str, since: datetime) -> None:
    """The classic builder keeps the container of a step that failed; this build's go.

    They carry the project label (inherited from the Dockerfile's LABEL step) but not the role
    label the tasks give containers they run, and they were created during this build."""
    for container in engine.labelled_containers(client, project):
        if not engine.started_by_tasks(container) and container.created and container.created >= since:
            container.remove(force=True)


def _build_failure(step: str, reason: str) -> str:
    where = f"at `{step[:120]}`" if step else "before its first step"
    hint = "fix that step in docker/Dockerfile and run `inv build` again"
    if " FROM " in f" {step} " or "pull access" in reason or "no such host" in reason:
        hint = (
            "the base image could not be had; pull it, or point docker.base_image "
            "(INVOKE_DOCKER_BASE_IMAGE or --base-image) at one you have or a mirror"
        )
    elif not step:
        hint = "check that the daemon answers (`inv doctor`) and that docker/Dockerfile exists"
    return f"build failed {where}: {reason}; {hint}"
