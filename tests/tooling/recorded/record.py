"""Record what a real Docker engine answers about a stack, for the unit tests of engine/swarm.py
and engine/history.py (tests/tooling/replay.py plays the answers back).

    python -m tests.tooling.recorded.record tests/tooling/recorded/engine-20.10
    DOCKER_HOST=ssh://node1 python -m tests.tooling.recorded.record tests/tooling/recorded/engine-26 \\
        --image IMAGE --registry 127.0.0.1:PORT

Needs a swarm manager (the engine the docker CLI talks to) and an image with python3 on it (default:
the base image the project builds on), tagged once per release it plays (`rec:v1`, `rec:v2`,
`rec:v3`; with --registry, pushed there so that every node of a bigger swarm can pull them). It
deploys a small stack named `rec` shaped like docker/stack.yml (start-first updates that roll back,
a global service, a secret, an attachable overlay), records a release history and a deploy lock as
the tooling keeps them, then updates the stack to a second spec, then to one whose health check
always fails, and writes a folder of answers at each moment: converged, updating, updated,
rolling-back, rolled-back. What it creates carries the label of the stack `rec` and is removed at
the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tooling.core.settings import from_invoke
from tooling.engine.history import LOCK_OF
from tooling.models.release import Release, labels

STACK = "rec"
LABEL = f"label=com.docker.stack.namespace={STACK}"
SERVICES = [f"{STACK}_web", f"{STACK}_edge"]
# The task filters engine/swarm.py asks `docker service ps` with, for each service.
FILTERS = [(), ("desired-state=running",), ("_up-to-date=true", "desired-state=running")]

COMPOSE = """
version: "3.8"
services:
  web:
    image: {image}
    command: ["python3", "-m", "http.server", "8000"]
    environment: {{RELEASE: "{release}"}}
    healthcheck:
      test: {check}
      interval: 1s
      timeout: 1s
      retries: 2
      start_period: 2s
    networks: [backend]
    secrets: [{{source: key, target: secret_key}}]
    deploy:
      replicas: 2
      update_config: {{parallelism: 1, order: start-first, failure_action: rollback, monitor: 4s}}
      rollback_config: {{parallelism: 1, order: start-first}}
      labels: {{dev.flask-service.project: rec}}
  edge:
    image: {image}
    command: ["python3", "-m", "http.server", "8080"]
    networks: [backend]
    deploy:
      mode: global
      labels: {{dev.flask-service.project: rec}}
networks:
  backend: {{attachable: true}}
secrets:
  key: {{name: rec_secret_key_0123456789ab, file: {secret}}}
"""
HEALTHY = '["CMD", "python3", "-c", "import urllib.request as u; u.urlopen(\'http://127.0.0.1:8000/\', timeout=1)"]'
BROKEN = '["CMD", "python3", "-c", "print(\'unhealthy: HTTP/1.0 503 SERVICE UNAVAILABLE\'); raise SystemExit(1)"]'


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def found(*args: str) -> list[str]:
    return docker(*args).split()


def inspect(kind: str, ids: list[str]) -> list[Any]:
    return json.loads(docker(kind, "inspect", *ids)) if ids else []


def snapshot(folder: Path) -> None:
    """Every answer engine/swarm.py and engine/history.py read, as the engine gives it now."""
    folder.mkdir(parents=True, exist_ok=True)
    services = [s for s in SERVICES if found("service", "ls", "-q", "--filter", f"name={s}")]
    ps: dict[str, list[str]] = {}
    for service in services:
        for filters in FILTERS:
            args = [arg for f in filters for arg in ("--filter", f)]
            ps["|".join([service, *filters])] = found("service", "ps", "-q", "--no-trunc", *args, service)
    tasks = sorted({task for ids in ps.values() for task in ids})
    task_answers = json.loads(docker("inspect", *tasks)) if tasks else []
    here = set(found("ps", "-aq", "--no-trunc"))  # a task's container is known only on its own node
    containers = [c for t in task_answers if (c := t["Status"].get("ContainerStatus", {}).get("ContainerID")) in here]
    answers = {
        "info": json.loads(docker("info", "--format", "{{json .Swarm}}")),
        "services": inspect("service", found("service", "ls", "-q", "--filter", LABEL)),
        "ps": ps,
        "tasks": task_answers,
        "containers": json.loads(docker("inspect", *containers)) if containers else [],
        "configs": inspect("config", found("config", "ls", "-q", "--filter", f"name={STACK}")),
        "secrets": inspect("secret", found("secret", "ls", "-q", "--filter", LABEL)),
        "networks": inspect("network", found("network", "ls", "-q", "--filter", LABEL)),
        "nodes": inspect("node", found("node", "ls", "-q")),
    }
    for name, answer in answers.items():
        (folder / f"{name}.json").write_text(json.dumps(answer, indent=1, sort_keys=True) + "\n")
    print(f"recorded {folder}", file=sys.stderr)


def update_state() -> str:
    status = inspect("service", [f"{STACK}_web"])[0].get("UpdateStatus") or {}
    return str(status.get("State", ""))


def tagged(image: str, registry: str) -> dict[str, str]:
    """The image under a tag of each release, pushed to ``registry`` when one is given."""
    names = {}
    for release in ("v1", "v2", "v3"):
        name = f"{registry}/rec:{release}" if registry else f"rec:{release}"
        docker("tag", image, name)
        if registry:
            docker("push", "-q", name)
        names[release] = name
    return names


def deploy(image: str, release: str, check: str, secret: Path, folder: Path) -> None:
    compose = folder / f"{release}.yml"
    compose.write_text(COMPOSE.format(image=image, release=release, check=check, secret=secret))
    docker("stack", "deploy", "--resolve-image", "never", "-c", str(compose), STACK)


def wait_for(predicate: Any, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"record: {what} did not happen within {timeout:.0f}s")
        time.sleep(0.2)


def converged() -> bool:
    running = found("service", "ps", "-q", "--filter", "desired-state=running", f"{STACK}_web")
    states = [t["Status"]["State"] for t in json.loads(docker("inspect", *running))] if running else []
    return states == ["running", "running"] and update_state() in ("", "completed")


def record(out: Path, image: str, registry: str) -> None:
    images = tagged(image, registry)
    with tempfile.TemporaryDirectory(prefix="record-") as tmp:
        folder = Path(tmp)
        secret = folder / "secret"
        secret.write_text("recorded-secret")
        deploy(images["v1"], "v1", HEALTHY, secret, folder)
        wait_for(converged, "the first deploy")
        for n, release in enumerate(("v0", "v1")):
            digest = f"{images[release] if release in images else images['v1']}@sha256:{str(n) * 64}"
            config = folder / "release.json"
            config.write_text("{}")
            stamp = f"2026-11-30T10:0{n}:00.000000Z"
            marks = labels(
                STACK,
                Release(digest, f"edge@sha256:{'e' * 64}", f"{release}{'0' * 38}"),
                stamp,
                "rec@host (pid 1)",
                "rec",
            )
            docker(
                "config",
                "create",
                *[f"--label={k}={v}" for k, v in marks.items()],
                f"{STACK}-release-2026113010000{n}",
                str(config),
            )
        lock = {
            LOCK_OF: STACK,
            f"{LOCK_OF}.holder": "someone@elsewhere (pid 42)",
            f"{LOCK_OF}.since": "2026-11-30T10:05:00Z",
        }
        docker("config", "create", *[f"--label={k}={v}" for k, v in lock.items()], f"{STACK}-deploy-lock", str(config))
        snapshot(out / "converged")
        deploy(images["v2"], "v2", HEALTHY, secret, folder)
        wait_for(
            lambda: (
                update_state() == "updating"
                and len(found("service", "ps", "-q", "--filter", "desired-state=running", f"{STACK}_web")) > 2
            ),
            "the update",
        )
        snapshot(out / "updating")
        wait_for(converged, "the update's end")
        snapshot(out / "updated")
        deploy(images["v3"], "v3", BROKEN, secret, folder)
        wait_for(lambda: update_state() == "rollback_started", "Swarm's rollback")
        snapshot(out / "rolling-back")
        wait_for(lambda: update_state() == "rollback_completed", "the rollback's end")
        snapshot(out / "rolled-back")


def tear_down() -> None:
    subprocess.run(["docker", "stack", "rm", STACK], capture_output=True, check=False)
    for release in ("v1", "v2", "v3"):
        pushed = found("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", f"*rec:{release}")
        for name in [*pushed, f"rec:{release}"]:
            subprocess.run(["docker", "image", "rm", name], capture_output=True, check=False)
    for kind in ("config",):
        for name in found(kind, "ls", "-q", "--filter", f"name={STACK}"):
            subprocess.run(["docker", kind, "rm", name], capture_output=True, check=False)
    deadline = time.monotonic() + 60
    while found("network", "ls", "-q", "--filter", LABEL) and time.monotonic() < deadline:
        for network in found("network", "ls", "-q", "--filter", LABEL):
            subprocess.run(["docker", "network", "rm", network], capture_output=True, check=False)
        time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.tooling.recorded.record", description=__doc__.splitlines()[0]
    )
    parser.add_argument("out", type=Path, help="the folder to write the answers to")
    parser.add_argument(
        "--image", default="", help="an image with python3 (default: the base image the project builds on)"
    )
    parser.add_argument("--registry", default="", help="push the release tags here, for a swarm of several nodes")
    args = parser.parse_args()
    try:
        record(args.out, args.image or from_invoke().python_image, args.registry)
    finally:
        tear_down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
