"""A stand-in for python-on-whales' DockerClient: the part of it the tooling uses, in memory.

It records what it is asked to do, so tests can assert the arguments the real client would get.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from python_on_whales.exceptions import DockerException, NoSuchImage

from tests.tooling.fakes.containers import FakeContainer, FakeImage, docker_error, run_options
from tests.tooling.fakes.prometheus import FakePrometheus
from tests.tooling.replay import Recorded
from tooling.core.settings import PROJECT_LABEL, ROLE_LABEL


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
