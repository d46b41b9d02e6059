"""What the benchmark compares: our image and the tutorial's, each built from a copy of its build
context, started with a plain `docker run`, and changed by one line for the rebuild figure."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.core.settings import PROJECT_LABEL, ROOT, Settings
from tooling.engine.build import build_context
from tooling.engine.containers import labels, start_container
from tooling.verbs.build import build_image

BASELINE = Path(__file__).resolve().parent / "baseline"


class Subject:
    """One image under test: how it is built from its context, and which file a code change touches."""

    name = ""
    code = ""  # the file a one-line change goes into, inside the context

    def __init__(self, context: Path, client: Any, settings: Settings) -> None:
        self.context = context
        self.client = client
        self.settings = settings.override(image=settings.project, tag=self.name)
        self.tag = self.settings.reference

    def build(self, cache: bool) -> float:
        raise NotImplementedError

    def change_code(self, n: int) -> None:
        with (self.context / self.code).open("a") as source:
            source.write(f"# bench change {n}\n")


class Ours(Subject):
    """This repository's image, built by the code behind `inv build`."""

    name = "ours"
    code = "service/api.py"

    def build(self, cache: bool) -> float:
        built = build_image(
            self.client, self.settings, tags=[self.tag], no_cache=not cache, context=self.context, out=io.StringIO()
        )
        return built.seconds


class Tutorial(Subject):
    """The tutorial's Dockerfile, app and run.sh, on the same base image."""

    name = "tutorial"
    code = "app.py"

    def build(self, cache: bool) -> float:
        built = build_context(
            self.client,
            self.context,
            project=self.settings.project,
            tags=[self.tag],
            build_args={"PYTHON_IMAGE": self.settings.python_image},
            labels={PROJECT_LABEL: self.settings.project},
            cache=cache,
            out=io.StringIO(),
        )
        return built.seconds


@dataclass(frozen=True)
class Variant:
    """A subject's image, started with these environment variables: what the load runs measure."""

    name: str
    subject: Subject
    envs: dict[str, str] = field(default_factory=dict)
    health: dict[str, str] | None = None  # `docker run --health-<key>`: the image's own cadence when None

    def start(self, n: int) -> Any:
        """A plain `docker run -d -p 127.0.0.1::8000`, as a user starts an image."""
        project = self.subject.settings.project
        return start_container(
            self.subject.client,
            self.subject.tag,
            name=f"{project}-{re.sub(r'[^a-z0-9]+', '-', self.name)}-{n}",
            host="127.0.0.1",
            port=0,
            labels=labels(project, "bench"),
            envs=self.envs,
            health=self.health,
        )


@contextmanager
def contexts() -> Iterator[tuple[Path, Path]]:
    """Copies of both build contexts, so that the one-line changes never touch the repository."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ours, baseline = Path(tmp, "ours"), Path(tmp, "baseline")
        ours.mkdir()
        for part in ("docker", "service", "requirements"):
            shutil.copytree(ROOT / part, ours / part, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / ".dockerignore", ours / ".dockerignore")
        shutil.copytree(BASELINE, baseline)
        # The tutorial's requirements.txt: the versions of our lock (its `flask~=2.1.2` no longer
        # runs on today's Werkzeug), so that both images serve with the same Flask and gunicorn.
        pins = [
            line.split()[0]
            for line in (ROOT / "requirements/service.txt").read_text().splitlines()
            if line and not line.startswith((" ", "#"))
        ]
        (baseline / "requirements.txt").write_text("\n".join(pins) + "\n")
        yield ours, baseline
