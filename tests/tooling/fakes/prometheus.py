"""The stack's monitor, Prometheus, as the tasks' short-lived probe container reaches it."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from tests.tooling.fakes.containers import docker_error


class FakePrometheus:
    """The stack's monitor as its probe reaches it (engine/prometheus.py): each query of the app's
    request counters answers the next of ``requests`` (5xx: of ``errors``), for one replica."""

    def __init__(self) -> None:
        self.requests: list[float] = [0.0]
        self.errors: list[float] = [0.0]
        self.probes: list[str] = []  # running now
        self.started: list[str] = []
        self.down = ""  # when set, the monitor answers with this error
        self.refusals: dict[str, list[str]] = {}  # "run"/"exec": what the engine says at each refused try
        self.execs = 0  # the queries' `docker exec`s tried
        self.vectors: dict[str, list[dict[str, Any]]] = {}  # a query holding a key answers its vector

    def cli(self, args: list[str]) -> str:
        refused = self.refusals.get(args[1], [])
        if args[1] == "run":
            name = args[args.index("--name") + 1]
            self.probes.append(name)  # created, even when its start is refused
            if refused:
                raise docker_error(refused.pop(0))
            self.started.append(name)
            return "0123abcd"
        if args[1] == "rm":
            if args[-1] not in self.probes:
                raise docker_error(f"Error response from daemon: No such container: {args[-1]}")
            self.probes.remove(args[-1])
            return ""
        assert args[2] in self.probes, "a query through a probe that runs"
        self.execs += 1
        if refused:
            raise docker_error(refused.pop(0))
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
        if expression.startswith("up{"):  # every replica asked for answered its last scrape
            asked = re.search(r'instance=~"([^"]*)"', expression)
            instances = asked.group(1).replace("[.]", ".").split("|") if asked else []
            return [{"metric": {"instance": i}, "value": [0, "1"]} for i in instances if i]
        counts = self.errors if 'status=~"5.."' in expression else self.requests
        value = counts.pop(0) if len(counts) > 1 else counts[0]
        return [{"metric": {"instance": "10.0.0.7:9464"}, "value": [0, str(value)]}]
