"""Building any build context, with buildx where the client has it and the classic builder where
not: output streamed to the stream the caller hands in, the step a failure happened at named, a
failed classic step's container removed. The service's image (verbs/build.py), the stack's other
images (verbs/push.py) and the benchmark's subjects are all built here."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from tooling.core.errors import ToolError, last_error_line
from tooling.engine.containers import labelled_containers, started_by_tasks

if TYPE_CHECKING:
    from python_on_whales import DockerClient, Image

# "Step 3/14 : RUN ..." (classic builder) and "#8 [builder 3/4] RUN ..." (buildx, plain progress).
_STEP = re.compile(r"^(Step \d+/\d+ : .*|#\d+ \[[^\]]*\d+/\d+\] .*)$")


@dataclass(frozen=True)
class Built:
    image: Image
    tags: list[str]
    seconds: float


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
    out: TextIO,
    cache_from: str = "",
    cache_to: str = "",
) -> Built:
    """Build ``context`` with buildx where the client has it and the classic builder where not,
    copying its output to ``out`` as it comes; a failure names the step it failed at. The image must carry
    ``project``'s label (from its Dockerfile or ``labels``): a failed classic build's leftovers
    are found by it."""
    from python_on_whales.exceptions import DockerException

    use_buildx = client.buildx.is_installed()
    builder = "buildx (BuildKit)" if use_buildx else "the classic builder (buildx is not installed)"
    print(f"building {', '.join(tags)} with {builder}", file=out, flush=True)
    if (cache_from or cache_to) and not use_buildx:
        print("docker.cache_from/cache_to need buildx; the classic builder keeps its own local cache", file=out)
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
            lines = client.buildx.build(
                context,
                load=True,
                progress="plain",
                stream_logs=True,
                cache_from=cache_from or None,
                cache_to=cache_to or None,
                **common,
            )
            for line in cast("Iterator[str]", lines):
                tracker.write(line if line.endswith("\n") else line + "\n")
        else:
            # The classic builder's output arrives through print(); the tracker sees each line.
            with contextlib.redirect_stdout(tracker):
                client.legacy_build(context, quiet=False, **common)
    except DockerException as error:
        if not use_buildx:
            _remove_failed_step_containers(client, project, since)
        raise ToolError(_build_failure(tracker.step, last_error_line(error))) from None
    seconds = time.monotonic() - started
    return Built(image=client.image.inspect(tags[0]), tags=tags, seconds=seconds)


def _remove_failed_step_containers(client: DockerClient, project: str, since: datetime) -> None:
    """The classic builder keeps the container of a step that failed; this build's go.

    They carry the project label (inherited from the Dockerfile's LABEL step) but not the role
    label the tasks give containers they run, and they were created during this build."""
    for container in labelled_containers(client, project):
        if not started_by_tasks(container) and container.created and container.created >= since:
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


def context_tag(context: Path, *inputs: str, prefix: str) -> str:
    """A tag that follows what goes into an image built from ``context``: a hash of the context's
    files and of ``inputs`` (its base image, its labels). Such an image is rebuilt and its digest
    changes only when one of them does, so an app release never restarts the stack's other parts."""
    content = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        content.update(path.relative_to(context).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    content.update("\0".join(inputs).encode())
    return f"{prefix}-{content.hexdigest()[:16]}"
