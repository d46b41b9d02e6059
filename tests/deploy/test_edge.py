"""The edge in front of the replicas, on this engine's swarm: slow clients it cuts, and the request
id it hands to the replica and back, so one request is followed from the edge to the replica."""

from __future__ import annotations

import json
import re
import socket
import threading
import time

from tests.engine import http
from tests.shipping import Checkout
from tooling.core.waiting import wait_until
from tooling.engine.client import cli


def test_a_request_is_followed_from_the_edge_to_the_replica_by_its_id(checkout: Checkout):
    checkout.serve("v1")
    # The answer's X-Request-ID is the replica's: the app sends back the id it was handed.
    given = http("GET", f"{checkout.url}/test", headers={"X-Request-ID": "lb-7f3a 2026/11/30"})
    assert given.status == 200
    assert given.headers["X-Request-ID"] == "lb-7f3a 2026/11/30", "a load balancer's id is kept as sent"
    missing = http("GET", f"{checkout.url}/no-such-page")
    fresh = missing.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", fresh), fresh
    assert missing.status == 404
    assert json.loads(missing.body)["error"]["request_id"] == fresh, "in the JSON error body too"
    too_long = http("GET", f"{checkout.url}/test", headers={"X-Request-ID": "x" * 129})
    assert re.fullmatch(r"[0-9a-f]{32}", too_long.headers["X-Request-ID"]), "replaced, at the edge as in the app"

    def logged(service: str) -> bool:
        return fresh in cli(checkout.manager, "service", "logs", "--raw", f"{checkout.stack}_{service}")

    assert wait_until(lambda: logged("edge"), timeout=10, interval=0.5), "the edge logs the id it sent"


def test_slow_clients_at_the_edge_do_not_stop_normal_requests(checkout: Checkout, report):
    checkout.serve("v1")
    port = int(checkout.url.rsplit(":", 1)[1])
    stop = threading.Event()

    def slow_client() -> None:
        """A header line every 2 s, never finishing; when cut, it comes back."""
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                    conn.sendall(b"GET /test HTTP/1.1\r\nHost: x\r\n")
                    while not stop.wait(2):
                        conn.sendall(b"X-Slow: 1\r\n")
            except OSError:
                stop.wait(0.5)

    clients = [threading.Thread(target=slow_client, daemon=True) for _ in range(200)]
    for client in clients:
        client.start()
    answered = failed = 0
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            try:
                answered += http("GET", f"{checkout.url}/test", timeout=10).status == 200
            except OSError:
                failed += 1
            time.sleep(0.1)
    finally:
        stop.set()
    report(f"200 slow clients for 30 s: {answered} normal requests answered, {failed} failed")
    assert answered > 100 and failed == 0
