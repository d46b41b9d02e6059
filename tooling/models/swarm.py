"""What Swarm answers, as data: tasks, an update's status, one look at a service, the stack's parts,
the nodes. Each is read from the daemon's own JSON (`docker inspect` of a task, a service, a node),
only the keys used, so a change elsewhere in the daemon's answer breaks nothing. The adapter that
asks for them is engine/swarm.py; tests feed these readers answers recorded from real engines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SERVICES = ("web", "edge", "monitor")  # the stack's services, as docker/stack.yml names them
# Task states after which a task never runs again (swarmkit's TaskState, lower-cased).
ENDED = {"complete", "failed", "shutdown", "rejected", "orphaned", "remove"}


@dataclass(frozen=True)
class Task:
    id: str
    node: str
    image: str
    state: str  # swarmkit's: new ... starting, running, complete, failed, shutdown, rejected ...
    desired: str
    error: str = ""
    container: str = ""
    slot: int | None = None
    created: str = ""
    networks: dict[str, str] = field(default_factory=dict, compare=False)  # network name -> the task's address
    since: str = field(default="", compare=False)  # when it entered its state (Swarm's clock)


@dataclass(frozen=True)
class Update:
    """A service's UpdateStatus: one per update Swarm ran, told apart by when it started."""

    state: str  # updating, completed, paused, rollback_started, rollback_paused, rollback_completed
    started: str
    message: str = ""
    completed: str = ""


@dataclass(frozen=True)
class Observation:
    """One look at a service of the stack."""

    name: str
    image: str  # what its spec asks for now (a rollback puts the old one back)
    update: Update | None
    current: list[Task]  # tasks of the current spec that Swarm wants running
    ended: list[Task] = field(default_factory=list)  # tasks started since the deploy that ended


@dataclass(frozen=True)
class Before:
    """A service as it was before a deploy: its last update, and the tasks it had."""

    update: Update | None = None
    tasks: frozenset[str] = frozenset()


@dataclass
class StackParts:
    """The parts of a stack that exist on a swarm, by name: what `inv undeploy` removes."""

    services: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)  # its release history (engine/history.py)

    def __bool__(self) -> bool:
        return any(vars(self).values())

    def counted(self) -> str:
        """E.g. "2 services, 1 network"; empty when there is nothing."""
        parts = [f"{len(names)} {kind if len(names) > 1 else kind[:-1]}" for kind, names in vars(self).items() if names]
        return ", ".join(parts)

    def summary(self, stack: str) -> str:
        """What `inv undeploy` says of these parts, once it removed them."""
        return f"removed {stack}: {self.counted()}" if self else f"{stack} is not deployed: nothing to remove"


@dataclass(frozen=True)
class Node:
    """A node of the swarm, as `docker node inspect` tells it."""

    id: str
    hostname: str
    role: str  # manager, or worker
    leader: bool
    availability: str  # active, pause, drain
    state: str  # ready, down, unknown, disconnected
    reachability: str  # of a manager: reachable, unreachable, unknown; "" for a worker
    address: str  # where Swarm reaches it (its advertised address)
    engine: str  # the Docker Engine version it runs

    @property
    def role_shown(self) -> str:
        return "leader" if self.leader else self.role


@dataclass(frozen=True)
class Membership:
    """What an engine says of its swarm (`docker info`'s Swarm part)."""

    state: str  # inactive, pending, active, error, locked
    manager: bool  # whether it can manage the swarm (ControlAvailable)
    nodes: int = 0  # known to a manager: nodes in the swarm, and how many are managers
    managers: int = 0


def membership(found: dict[str, Any] | None) -> Membership:
    found = found or {}
    return Membership(
        state=found.get("LocalNodeState") or "inactive",
        manager=bool(found.get("ControlAvailable")),
        nodes=int(found.get("Nodes") or 0),
        managers=int(found.get("Managers") or 0),
    )


def task(found: dict[str, Any]) -> Task:
    status = found.get("Status") or {}
    return Task(
        id=found.get("ID", ""),
        node=found.get("NodeID", ""),
        image=(found.get("Spec", {}).get("ContainerSpec") or {}).get("Image", ""),
        state=status.get("State", ""),
        desired=found.get("DesiredState", ""),
        error=status.get("Err", "") or "",
        container=(status.get("ContainerStatus") or {}).get("ContainerID", "") or "",
        slot=found.get("Slot"),
        created=found.get("CreatedAt", ""),
        since=status.get("Timestamp", ""),
        networks={
            (attached.get("Network", {}).get("Spec") or {}).get("Name", ""): address.split("/", 1)[0]
            for attached in found.get("NetworksAttachments") or []
            for address in (attached.get("Addresses") or [])[:1]
        },
    )


def update(service: dict[str, Any]) -> Update | None:
    status = service.get("UpdateStatus")
    if not status:
        return None
    return Update(
        state=status.get("State", ""),
        started=status.get("StartedAt", ""),
        message=status.get("Message", ""),
        completed=status.get("CompletedAt", ""),
    )


def image(service: dict[str, Any]) -> str:
    """The image a service's spec asks for (repository@sha256:... once deployed by digest)."""
    return str(service.get("Spec", {}).get("TaskTemplate", {}).get("ContainerSpec", {}).get("Image", ""))


def node(found: dict[str, Any]) -> Node:
    description, spec = found.get("Description") or {}, found.get("Spec") or {}
    status, manager = found.get("Status") or {}, found.get("ManagerStatus") or {}
    # A manager's Status.Addr can read 0.0.0.0; its ManagerStatus.Addr then says where it is.
    address = status.get("Addr", "")
    if address in ("", "0.0.0.0") and manager.get("Addr"):
        address = manager["Addr"].rsplit(":", 1)[0]
    return Node(
        id=found.get("ID", ""),
        hostname=description.get("Hostname", ""),
        role=spec.get("Role", ""),
        leader=bool(manager.get("Leader")),
        availability=spec.get("Availability", ""),
        state=status.get("State", ""),
        reachability=manager.get("Reachability", ""),
        address=address,
        engine=(description.get("Engine") or {}).get("EngineVersion", ""),
    )
