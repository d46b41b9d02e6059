"""A stand-in for python-on-whales' DockerClient: the part of it the tooling uses, in memory.

It records what it is asked to do, so tests can assert the arguments the real client would get.
"""

from __future__ import annotations

import itertools
import json
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from python_on_whales.exceptions import DockerException, NoSuchImage

from tests.tooling.replay import Recorded
from tooling.core.settings import PROJECT_LABEL, ROLE_LABEL

_ids = itertools.count(1)


def docker_error(stderr: str, code: int = 1, kind: type[DockerException] = DockerException) -> DockerException:
    return kind(["docker"], code, stderr=stderr.encode())


@dataclass
class FakeImage:
    tags: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    size: int = 176_000_000
    id: str = field(default_factory=lambda: f"sha256:{next(_ids):064x}")
    repo_digests: list[str] = field(default_factory=list)

    @property
    def repo_tags(self) -> list[str]:
        return self.tags

    @property
    def config(self) -> Any:
        return SimpleNamespace(labels=self.labels)


class FakeContainer:
    def __init__(
        self,
        client: FakeDocker,
        name: str,
        image: str,
        labels: dict[str, str],
        port: str = "5000",
        health: list[str] | None = None,
        exit_code: int = 0,
    ) -> None:
        self.client = client
        self.name = name
        self.id = f"{next(_ids):012x}"
        self.created = datetime.now(UTC)
        self.config = SimpleNamespace(labels=labels, image=image)
        self.network_settings = SimpleNamespace(ports={"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": port}]})
        self.health_plan = list(health or ["healthy"])
        self.restart_count = 0
        self.exit_code = exit_code
        self.state = SimpleNamespace(
            status="running",
            running=True,
            restarting=False,
            exit_code=0,
            health=SimpleNamespace(status="starting", log=[SimpleNamespace(exit_code=1, output="connection refused")]),
        )
        self.executed: list[dict[str, Any]] = []
        self.exec_result: str | DockerException = ""
        self.stopped_with: int | None = None

    def reload(self) -> None:
        if self.health_plan:
            status = self.health_plan.pop(0)
            if status == "exited":
                self.state.running = False
                self.state.status = "exited"
                self.state.exit_code = 3
            else:
                self.state.health.status = status

    def remove(self, force: bool = False, volumes: bool = False) -> None:
        self.client.containers.pop(self.name, None)
        self.client.removed_containers.append(self.name)

    def stop(self, time: int | None = None) -> None:
        self.stopped_with = time
        self.state.running = False
        self.state.status = "exited"
        self.state.exit_code = self.exit_code

    def execute(self, command: list[str], **kwargs: Any) -> str:
        self.executed.append({"command": command, **kwargs})
        if isinstance(self.exec_result, DockerException):
            raise self.exec_result
        return self.exec_result

    def logs(self, tail: int | None = None) -> str:
        return "worker booted\nsomething broke"


# `docker run` flags (engine/containers.run_flags) back into the options python-on-whales' run() takes.
_LISTS = {"env-file": "env_files", "tmpfs": "tmpfs", "cap-drop": "cap_drop", "security-opt": "security_options"}


def run_options(words: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "labels": {},
        "envs": {},
        "volumes": [],
        "health": {},
        "healthcheck": True,
        "read_only": False,
    }
    found.update({name: [] for name in _LISTS.values()})
    words = list(words)
    while words:
        flag = words.pop(0).removeprefix("--")
        name, sep, value = flag.partition("=")
        if not sep and name in ("name", "publish", "pull"):
            value = words.pop(0)
        if name in ("label", "env"):
            key, _, item = value.partition("=")
            found["labels" if name == "label" else "envs"][key] = item
        elif name in _LISTS:
            found[_LISTS[name]].append(value)
        elif name == "volume":
            found["volumes"].append(tuple(value.split(":")))
        elif name.startswith("health-"):
            found["health"][name.removeprefix("health-")] = value
        elif name == "publish":
            address, _, target = value.rpartition(":")
            found["publish"] = [(address, int(target))]
        else:
            found.update({"detach": True} if name == "detach" else {"read_only": True} if name == "read-only" else {})
            found.update({"healthcheck": False} if name == "no-healthcheck" else {})
            found.update({name.replace("-", "_"): value} if name in ("name", "pull", "restart", "cpus") else {})
            found.update({"stop_timeout": int(value)} if name == "stop-timeout" else {})
    return found


class FakePrometheus:
    """The stack's monitor as its probe reaches it (engine/prometheus.py): each query of the app's
    request counters answers the next of ``requests`` (5xx: of ``errors``), for one replica."""

    def __init__(self) -> None:
        self.requests: list[float] = [0.0]
        self.errors: list[float] = [0.0]
        self.probes: list[str] = []  # running now
        self.started: list[str] = []
        self.down = ""  # when set, the monitor answers with this error
        self.vectors: dict[str, list[dict[str, Any]]] = {}  # a query holding a key answers its vector

    def cli(self, args: list[str]) -> str:
        if args[1] == "run":
            name = args[args.index("--name") + 1]
            self.probes.append(name)
            self.started.append(name)
            return "0123abcd"
        if args[1] == "rm":
            self.probes.remove(args[-1])
            return ""
        assert args[2] in self.probes, "a query through a probe that runs"
        if self.down:
            raise docker_error(self.down)
        words = shlex.split(args[-1])  # promtool query instant -o json [--time T] URL EXPR && echo && ...
        asked = [words[n - 1] for n, word in enumerate(words) if word == "&&" and words[n + 1] == "echo"]
        return "".join(json.dumps(self.answer(expression)) + "\n" for expression in asked)

    def answer(self, expression: str) -> list[dict[str, Any]]:
        """What one query answers: the app's request counters here, or ``vectors`` a test sets."""
        for key, vector in self.vectors.items():
            if key in expression:
                return vector
        counts = self.errors if 'status=~"5.."' in expression else self.requests
        value = counts.pop(0) if len(counts) > 1 else counts[0]
        return [{"metric": {"instance": "10.0.0.7:9464"}, "value": [0, str(value)]}]


class FakeDocker:
    """Answers like a daemon with no registry; every call is recorded in ``calls``."""

    def __init__(self, buildx: bool = False) -> None:
        self.has_buildx = buildx
        self.daemon_down = False
        self.images: dict[str, FakeImage] = {}
        self.containers: dict[str, FakeContainer] = {}
        self.removed_containers: list[str] = []
        self.removed_images: list[str] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.build_output = ["Step 1/3 : FROM base", "Step 2/3 : RUN pip install", "Successfully built abc"]
        self.build_error: DockerException | None = None
        self.next_health: list[str] = ["starting", "healthy"]
        self.run_error: DockerException | None = None
        self.run_output = ""
        self.log_chunks = [("stdout", b"GET /test 200\n"), ("stderr", b"worker booted\n")]
        self.pullable: set[str] = set()
        self.disk = [500_000_000]
        self.swarm_state = "inactive"  # what `docker info` says of the swarm
        self.swarm_manager = False
        self.recorded: Recorded | None = None  # a swarm's recorded answers, when a test plays them
        self.host = ""  # the engine this client was made for (docker.manager), "" for the local one
        self.deployed: list[dict[str, Any]] = []  # `docker stack deploy` calls
        self.prometheus = FakePrometheus()
        self.api = "1.41"  # the engine's API version: 1.44 and later know a health check's start interval
        self.client_api = ""  # the CLI's, when it caps the engine's
        self.remote: FakeDocker | None = None  # the manager's engine, when a test sets docker.manager
        self.registry: dict[str, str] = {}  # what the registry holds: reference -> digest
        self.registry_error: str | None = None  # what the registry answers instead, when set
        self.pushed: list[str] = []

        self.buildx = SimpleNamespace(is_installed=lambda: self.has_buildx, build=self._buildx_build)
        self.image = SimpleNamespace(
            exists=lambda ref: ref in self.images,
            inspect=lambda ref: self.images[ref],
            list=self._image_list,
            remove=self._image_remove,
            tag=self._image_tag,
            push=self._image_push,
        )
        self.container = SimpleNamespace(
            list=self._container_list, logs=self._container_logs, inspect=lambda name: self.containers[name]
        )
        self.system = SimpleNamespace(disk_free=lambda: SimpleNamespace(images=SimpleNamespace(size=self._disk())))
        self.manifest = SimpleNamespace(inspect=self._manifest_inspect)
        self.config = SimpleNamespace(
            create=lambda name, file, labels=None: self._swarm().create_config(name, file, labels),
            remove=lambda name: self._swarm().remove("config", name),
        )
        self.secret = SimpleNamespace(remove=lambda name: self._swarm().remove("secret", name))
        self.network = SimpleNamespace(remove=lambda name: self._swarm().remove("network", name))
        self.stack = SimpleNamespace(
            deploy=lambda name, **kwargs: self.deployed.append({"stack": name, **kwargs}),
            remove=lambda name: self._swarm().remove_stack(name),
        )

    @property
    def docker_cmd(self) -> list[str]:
        return ["docker", "--host", self.host] if self.host else ["docker"]

    def _swarm(self) -> Recorded:
        if self.recorded is None:
            raise AssertionError("this test asked the swarm something; give the fake client a recording")
        return self.recorded

    # --- daemon ---------------------------------------------------------------------------
    def version(self) -> Any:
        if self.daemon_down:
            raise docker_error("Cannot connect to the Docker daemon at unix:///var/run/docker.sock.")
        server = SimpleNamespace(version="20.10.24", api_version=self.api)
        return SimpleNamespace(client=SimpleNamespace(version="28.2.2", api_version=self.client_api), server=server)

    def info(self) -> Any:
        swarm = SimpleNamespace(local_node_state=self.swarm_state, control_available=self.swarm_manager)
        return SimpleNamespace(docker_root_dir="/", swarm=swarm)

    def _disk(self) -> int:
        return self.disk.pop(0) if len(self.disk) > 1 else self.disk[0]

    # --- images ---------------------------------------------------------------------------
    def _finish_build(self, kwargs: dict[str, Any]) -> None:
        labels = {PROJECT_LABEL: kwargs["build_args"].get("PROJECT", "flask-service")}
        image = FakeImage(tags=list(kwargs["tags"]), labels=labels)
        for tag in kwargs["tags"]:
            self.images[tag] = image

    def legacy_build(self, context: Any, **kwargs: Any) -> FakeImage:
        self.calls.append(("legacy_build", kwargs))
        for line in self.build_output:
            print(line)
        if self.build_error:
            raise self.build_error
        self._finish_build(kwargs)
        return self.images[kwargs["tags"][0]]

    def _buildx_build(self, context: Any, **kwargs: Any) -> Any:
        self.calls.append(("buildx_build", kwargs))

        def lines() -> Any:
            yield "#1 [internal] load build definition"
            yield "#5 [builder 3/4] RUN pip install"
            if self.build_error:
                raise self.build_error
            self._finish_build(kwargs)

        return lines()

    def _image_list(self, filters: Iterable[tuple[str, str]] = (), all: bool = False) -> list[FakeImage]:
        key, _, value = dict(filters).get("label", "").partition("=")
        unique = {id(i): i for i in self.images.values()}.values()
        return [i for i in unique if not key or i.labels.get(key) == value]

    def _image_remove(self, ref: str, force: bool = False, prune: bool = True) -> None:
        doomed = [tag for tag, image in self.images.items() if ref in (image.id, tag)]
        if not doomed:
            raise docker_error(f"Error: No such image: {ref}", kind=NoSuchImage)
        for tag in doomed:
            self.removed_images.append(tag)
            del self.images[tag]

    def _image_tag(self, source: str, target: str) -> None:
        self.images[target] = self.images[source]
        self.images[target].tags.append(target)

    def _image_push(self, ref: str, quiet: bool = False) -> None:
        if self.registry_error:
            raise docker_error(self.registry_error)
        image = self.images[ref]
        digest = "sha256:" + image.id.removeprefix("sha256:").rjust(64, "0")[-64:]
        repository = ref.rsplit(":", 1)[0]
        self.registry[ref] = self.registry[f"{repository}@{digest}"] = digest
        image.repo_digests.append(f"{repository}@{digest}")
        self.pushed.append(ref)

    def cli(self, args: list[Any], **kwargs: Any) -> str:
        """`docker ...` run through python-on-whales' run(): what the registry module asks."""
        args = [str(a) for a in args]
        self.calls.append(("cli", {"args": args}))
        if args[1:2] in (["--host"], ["--context"]):  # the client's own engine: this fake
            args = [args[0], *args[3:]]
        if args[1] in ("run", "exec", "rm") and (args[1] != "run" or "sleep" in args):  # the monitor's probe
            return self.prometheus.cli(args)
        if args[1] == "run":  # `docker run -d` as engine/containers.start_container words it
            return self.run(args[-1], **run_options(args[2:-1])).name
        if args[1] == "version":  # the probe of an engine elsewhere (engine/client.py)
            self.version()
            return "26.1.5"
        if args[1:4] == ["info", "--format", "{{json .Swarm}}"] and self.recorded is None:
            if self.daemon_down:
                raise docker_error("Cannot connect to the Docker daemon at unix:///var/run/docker.sock.")
            return json.dumps({"LocalNodeState": self.swarm_state, "ControlAvailable": self.swarm_manager})
        if args[1:3] == ["manifest", "inspect"]:
            if self.registry_error:
                raise docker_error(self.registry_error)
            ref = args[-1]
            if ref not in self.registry:
                raise docker_error(f"no such manifest: {ref}")
            return json.dumps({"Ref": ref, "Descriptor": {"digest": self.registry[ref]}})
        return self._swarm().cli(args)

    def _manifest_inspect(self, name: str) -> Any:
        if name not in self.pullable:
            raise docker_error("no such manifest")
        return {}

    # --- containers -----------------------------------------------------------------------
    def run(self, image: str, command: list[str] | None = None, **kwargs: Any) -> Any:
        self.calls.append(("run", {"image": image, "command": command, **kwargs}))
        if self.run_error:
            raise self.run_error
        if not kwargs.get("detach"):
            return self.run_output
        publish = kwargs["publish"][0][0]
        port = publish.rsplit(":", 1)[1] or "49153"
        container = FakeContainer(
            self, kwargs["name"], image, dict(kwargs.get("labels", {})), port, list(self.next_health)
        )
        self.containers[container.name] = container
        return container

    def add_container(self, name: str, labels: dict[str, str] | None = None, **kwargs: Any) -> FakeContainer:
        container = FakeContainer(
            self,
            name,
            "flask-service:latest",
            labels if labels is not None else {PROJECT_LABEL: "flask-service", ROLE_LABEL: "service"},
            **kwargs,
        )
        container.state.health.status = "healthy"
        self.containers[name] = container
        return container

    def _container_list(self, all: bool = False, filters: Iterable[tuple[str, str]] = ()) -> list[FakeContainer]:
        wanted = dict(filters)
        found = list(self.containers.values())
        if "name" in wanted:
            name = wanted["name"].removeprefix("^/?").removesuffix("$")
            found = [c for c in found if c.name == name]
        if "label" in wanted:
            key, _, value = wanted["label"].partition("=")
            found = [c for c in found if key in c.config.labels and (not value or c.config.labels[key] == value)]
        return found

    def _container_logs(self, container: FakeContainer, **kwargs: Any) -> Any:
        self.calls.append(("logs", kwargs))
        return iter(self.log_chunks)


# --- Swarm, for the verbs: scripted answers of engine/swarm.py and engine/history.py ------------
# (Those two are tested themselves against answers recorded from real engines: tests/tooling/replay.py.)

NODE = SimpleNamespace(id="n1", hostname="node-1", address="10.0.0.5", role_shown="leader", availability="active",
                       state="ready", engine="26.1.5")  # fmt: skip


class FakeSwarm:
    """Plays back a script of observations per service, as Swarm would answer while it works.

    ``script[name]`` is a list of Observations; the last one repeats. Records what it is asked."""

    def __init__(self, client: Any, script: dict[str, list[Any]] | None = None, serving: str | None = None) -> None:
        self.client = client
        self.script = script or {}
        self.serving_image = serving
        self.plans: list[Any] = []
        self.health = "unhealthy: HTTP/1.0 503 SERVICE UNAVAILABLE"
        self.interrupt_after: int | None = None
        self.observed = 0
        self.stuck_networks: list[str] = []  # networks that outlive an undeploy
        self.monitor_image: str | None = "reg/flask-service-monitor@sha256:" + "f" * 64

    def require_manager(self) -> None:
        pass

    def before(self, stack: str, name: str) -> Any:
        from tooling.models.swarm import Before

        return Before()

    def deploy(self, plan: Any) -> None:
        self.plans.append(plan)

    def observe(self, stack: str, name: str, target: str, before: Any) -> Any:
        self.observed += 1
        if self.interrupt_after is not None and self.observed > self.interrupt_after:
            raise KeyboardInterrupt
        if name not in self.script:  # a service the test does not script: up on its target at once
            from tooling.models.swarm import Observation, Task

            return Observation(name, target, None, [Task(f"{name}-1", "n1", target, "running", "running")])
        frames = self.script[name]
        return frames.pop(0) if len(frames) > 1 else frames[0]

    def serving(self, stack: str, name: str = "web") -> str | None:
        if name == "monitor":
            return self.monitor_image
        return self.serving_image

    def health_output(self, task: Any) -> str:
        return self.health

    def prune_secrets(self, stack: str) -> list[str]:
        return []

    def edges(self, stack: str) -> list[Any]:
        return [NODE]

    # what undeploy and status ask
    def membership(self) -> Any:
        from tooling.models.swarm import Membership

        return Membership("active", True, 1, 1)

    def nodes(self) -> list[Any]:
        return [NODE]

    def deployed(self, stack: str) -> bool:
        return self.serving_image is not None

    def service(self, stack: str, name: str) -> dict[str, Any] | None:
        if self.serving_image is None:
            return None
        return {
            "UpdateStatus": {"State": "completed", "CompletedAt": "2026-11-26T10:00:00Z", "Message": "update completed"}
        }

    def tasks(self, service: str, *filters: str) -> list[Any]:
        frames = self.script.get(service.rsplit("_", 1)[-1], [])
        return list(frames[0].current) if frames else []

    def hostname(self, node: str) -> str:
        return "node-1"

    def parts(self, stack: str) -> Any:
        from tooling.models.swarm import StackParts

        self.removing = max(getattr(self, "removing", 0) - 1, 0)  # replicas stopping, a look at a time
        if self.removing == 0 and getattr(self, "removed", False):
            self.serving_image = None
        if self.serving_image is None:
            return StackParts(networks=list(self.stuck_networks))
        return StackParts(services=[f"{stack}_web", f"{stack}_edge"], networks=[f"{stack}_backend"])

    def remove_stack(self, stack: str) -> None:
        self.removing, self.removed = 3, True

    def remove_networks(self, networks: list[str]) -> None:
        pass

    def containers_here(self, stack: str) -> int:
        return 0


class FakeHistory:
    """The release history and the deploy lock, in memory."""

    def __init__(self, client: Any, records: list[Any] | None = None, lock: str | None = None) -> None:
        self.records = records or []
        self.lock = lock  # who holds it, when someone does
        self.locks_taken = 0

    def releases(self, stack: str) -> list[Any]:
        return list(self.records)

    def record(self, stack: str, release: Any, by: str, project: str) -> None:
        from tooling.models.release import Recorded

        self.records.insert(0, Recorded(release, "2026-11-26T00:00:00Z", by, f"{stack}-release-{len(self.records)}"))

    def forget(self, stack: str) -> list[str]:
        names = [r.name for r in self.records]
        self.records.clear()
        return names

    def locked(self, stack: str, who: str, project: str, *, break_lock: bool = False) -> Any:
        from contextlib import contextmanager

        from tooling.core.errors import ToolError

        @contextmanager
        def hold() -> Any:
            if self.lock and not break_lock:
                raise ToolError(f"another deploy of {stack} holds the lock: {self.lock}; ... --break-lock")
            self.lock = who
            self.locks_taken += 1
            try:
                yield
            finally:
                self.lock = None

        return hold()
