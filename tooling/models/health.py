"""How often the app's health is checked, by what the engine that runs it can do.

The image's own HEALTHCHECK (docker/Dockerfile) checks every 3 s: it must, for a replica to be seen
healthy soon after it answers, on engines that know one interval only (Engine 20.10's classic
builder and API 1.41 cannot even carry a start interval). Engine 25 (API 1.44) has
`start_interval`: every second while a container starts, then rarely. There the tasks set this
cadence at run time (`inv run`) and in the stack (`inv deploy`), on the API version of the engine
that runs it; elsewhere the image's own stays."""

from __future__ import annotations

from dataclasses import dataclass

START_INTERVAL_API = (1, 44)


@dataclass(frozen=True)
class Cadence:
    start_interval: int  # seconds between checks while the container starts...
    start_period: int  # ...for this long, when failures do not count yet
    interval: int  # seconds between checks after that
    retries: int  # failures in a row that make it unhealthy
    timeout: int  # seconds one check may take
    monitor: int  # seconds Swarm watches an updated replica before the next (update_config.monitor)

    @property
    def unhealthy_after(self) -> int:
        """The latest a replica that never answers turns unhealthy: start period + retries x interval."""
        return self.start_period + self.retries * self.interval

    def run_flags(self) -> dict[str, str]:
        """`docker run --health-<key>` values."""
        return {
            "start-interval": f"{self.start_interval}s",
            "start-period": f"{self.start_period}s",
            "interval": f"{self.interval}s",
            "retries": str(self.retries),
            "timeout": f"{self.timeout}s",
        }

    def compose(self) -> dict[str, object]:
        """A stack file's `healthcheck:` for the app (its test stays the image's own)."""
        return {
            "start_interval": f"{self.start_interval}s",
            "start_period": f"{self.start_period}s",
            "interval": f"{self.interval}s",
            "retries": self.retries,
            "timeout": f"{self.timeout}s",
        }


# A replica is seen healthy about a second after it answers (checks every second from its start);
# at steady state one check every 10 s (the image's every 3 s: a third as many execs). One that
# never answers is unhealthy within 5 + 2 x 10 = 25 s: the start period, then two failures in a
# row (not one: a single slow check, a worker busy for 3 s, is no reason to replace a replica).
# Swarm then rolls the update back (one round, thanks to the stack's update delay) and watches
# the rollback for `monitor` seconds: reported about 35 s after `inv deploy` began
# (docs/deploying.md). A replica slower to start than 5 s is still seen healthy at its first
# answered check; only its failures count from then on. The price of the short monitor: a release
# whose replicas pass their first check and fail later (two failed checks 10 s apart outlast the
# 5 s watch) is no longer Swarm's to roll back, only one that never turns healthy or crashes in
# the watch. Swarm restarts such replicas instead, and what they answer meanwhile is the analysis'
# to judge (docs/deploying.md).
STARTING_FAST = Cadence(start_interval=1, start_period=5, interval=10, retries=2, timeout=3, monitor=5)


def cadence(api: tuple[int, int]) -> Cadence | None:
    """The cadence for an engine of this API version; None: the image's own (3 s throughout)."""
    return STARTING_FAST if api >= START_INTERVAL_API else None


def api_version(text: str) -> tuple[int, int]:
    """ "1.45" -> (1, 45); anything unreadable counts as the oldest."""
    try:
        major, minor = text.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return (0, 0)
