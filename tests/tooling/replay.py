"""Answers a real engine gave, played back: the part of the docker CLI that engine/swarm.py and
engine/history.py speak, over a folder that tests/tooling/recorded/record.py wrote.

Each folder holds one moment of a real stack (converged, updating, rolled back ...): the JSON that
`docker inspect` gave for its services, tasks, configs, secrets, networks, nodes and containers, the
task IDs `docker service ps` listed for each filter the adapter uses, and `docker info`'s Swarm part.
Listing commands are answered by filtering those objects as the daemon does (a name filter matches
a prefix, a label filter a key or key=value); configs can be created and removed, as the deploy
lock and the release history do. A command the recording cannot answer fails the test loudly."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from python_on_whales.exceptions import DockerException

RECORDED = Path(__file__).resolve().parent / "recorded"
ENGINES = sorted(p.name for p in RECORDED.iterdir() if p.is_dir())
_ids = itertools.count(1)


def error(stderr: str, stdout: str = "", command: list[str] | None = None) -> DockerException:
    return DockerException(command or ["docker"], 1, stdout=stdout.encode(), stderr=stderr.encode())


def _name(found: dict[str, Any]) -> str:
    return str(
        found.get("Spec", {}).get("Name") or found.get("Name") or found.get("Description", {}).get("Hostname", "")
    )


def _labels(found: dict[str, Any]) -> dict[str, str]:
    return found.get("Spec", {}).get("Labels") or found.get("Labels") or found.get("Config", {}).get("Labels") or {}


def _matches(found: dict[str, Any], filters: list[str]) -> bool:
    for item in filters:
        key, _, value = item.partition("=")
        if key == "name" and not _name(found).startswith(value):
            return False
        if key == "label":
            label, sep, wanted = value.partition("=")
            if label not in _labels(found) or (sep and _labels(found)[label] != wanted):
                return False
    return True


class Recorded:
    """One recorded moment of a swarm, answering like its manager's engine."""

    def __init__(self, engine: str, moment: str) -> None:
        folder = RECORDED / engine / moment
        self.answers = {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}
        self.objects: dict[str, list[dict[str, Any]]] = {
            kind: list(self.answers[kind])
            for kind in ("services", "tasks", "configs", "secrets", "networks", "nodes", "containers")
        }
        self.removed: dict[str, list[str]] = {"config": [], "secret": [], "network": []}
        self.refuse_removal = ""  # when set, removing a config fails with this error
        self.refuse: dict[str, str] = {}  # `docker node ls` -> "node ls": what the daemon says instead

    # --- what the CLI prints --------------------------------------------------------------------

    def cli(self, args: list[str]) -> str:
        words = args[1:]
        if words[:3] == ["info", "--format", "{{json .Swarm}}"]:
            return json.dumps(self.answers["info"])
        if words[0] == "inspect":
            return self._inspect(words[1:])
        if words[0] == "ps":  # the containers on this node
            filters = [words[i + 1] for i, word in enumerate(words) if word == "--filter"]
            return "\n".join(c["Id"][:12] for c in self.objects["containers"] if _matches(c, filters))
        kind, verb, rest = words[0], words[1], words[2:]
        if f"{kind} {verb}" in self.refuse:
            raise error(self.refuse[f"{kind} {verb}"], command=args)
        filters = [rest[i + 1] for i, word in enumerate(rest) if word == "--filter"]
        if verb == "ls" and kind in ("service", "config", "secret", "network", "node"):
            return "\n".join(
                str(o["ID"] if "ID" in o else o["Id"]) for o in self.objects[f"{kind}s"] if _matches(o, filters)
            )
        if kind == "service" and verb == "ps":
            key = "|".join([rest[-1], *filters])
            if key not in self.answers["ps"]:
                raise AssertionError(f"no recorded answer for `docker service ps` of {key}")
            return "\n".join(self.answers["ps"][key])
        raise AssertionError(f"the recording does not answer `docker {' '.join(words)}`")

    def _inspect(self, wanted: list[str]) -> str:
        everything = [o for kind in self.objects.values() for o in kind]
        found, missing = [], []
        for key in wanted:
            match = next((o for o in everything if key in (o.get("ID"), o.get("Id"), _name(o))), None)
            (found.append(match) if match else missing.append(key))
        if missing:  # the CLI prints what it found, and names the rest on stderr
            raise error("\n".join(f"Error: No such object: {key}" for key in missing), json.dumps(found))
        return json.dumps(found)

    # --- what python-on-whales is asked to change -------------------------------------------------

    def create_config(self, name: str, file: Any, labels: dict[str, str] | None = None) -> None:
        if any(_name(c) == name for c in self.objects["configs"]):
            raise error(
                f"Error response from daemon: rpc error: code = AlreadyExists desc = config {name} already exists"
            )
        self.objects["configs"].append(
            {"ID": f"created{next(_ids):019d}", "Spec": {"Name": name, "Labels": dict(labels or {})}}
        )

    def remove_stack(self, stack: str) -> None:
        """`docker stack rm`: the stack's services, secrets and networks go (no replica is kept here)."""
        label = f"label=com.docker.stack.namespace={stack}"
        for kind in ("services", "secrets", "networks", "containers"):
            self.objects[kind] = [o for o in self.objects[kind] if not _matches(o, [label])]

    def remove(self, kind: str, name: str) -> None:
        if kind == "config" and self.refuse_removal:
            raise error(self.refuse_removal)
        objects = self.objects[f"{kind}s"]
        match = next((o for o in objects if name in (o.get("ID"), o.get("Id"), _name(o))), None)
        if match is None:
            raise error(f"Error: No such {kind}: {name}")
        objects.remove(match)
        self.removed[kind].append(name)
