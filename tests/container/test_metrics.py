"""Metrics and request IDs in the real image: counts exact across workers and restarts, the metrics
port inside the container only, the multiprocess directory bounded after 100 worker restarts, and
one request's id from the request to the access line."""

import json
import re

import pytest

from tests.container.scraping import DIRECTORY, METRICS_PORT, requests_to, samples, scrape, value
from tests.engine import http, sh
from tooling.core.waiting import wait_until

FRESH_ID = re.compile(r"[0-9a-f]{32}")


def listening(running, port):
    """Whether anything in the container listens on ``port`` (its network namespace's socket table)."""
    table = sh(running, "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null")
    return any(
        fields[1].endswith(f":{port:04X}") and fields[3] == "0A"  # 0A: LISTEN
        for fields in (line.split() for line in table.splitlines()[1:])
        if len(fields) > 3
    )


def stdout_lines(client, container):
    chunks = b"".join(data for source, data in client.container.logs(container, stream=True) if source == "stdout")
    return [line for line in chunks.decode().splitlines() if line.strip()]


def counted(running, route, at_least):
    """The metrics' text once ``route`` has been counted ``at_least`` times: each worker's tally
    reaches the files within its flush period (service/metrics.py)."""

    def enough():
        text = scrape(running)[0]
        return text if requests_to(text, route) >= at_least else None

    return wait_until(enough, timeout=10, interval=0.1)


def test_n_requests_come_back_as_n_whichever_workers_served_them(counting):
    before = requests_to(scrape(counting)[0], "/test")  # nothing pending: the other check waits for its own
    for _ in range(60):  # a connection each: spread over the workers
        assert http("GET", f"{counting.url}/test").status == 200
    assert requests_to(counted(counting, "/test", before + 60), "/test") == before + 60


def test_the_health_check_and_the_scrape_are_not_traffic(counting):
    before = requests_to(scrape(counting)[0], "/test")
    for _ in range(10):
        assert http("GET", f"{counting.url}/healthz").status == 200
    for _ in range(5):
        assert http("GET", f"{counting.url}/test").status == 200
    first = counted(counting, "/test", before + 5)  # every request sent is in: nothing is pending
    again, _ = scrape(counting)
    assert not [ls for _, ls, _ in samples(again) if ls.get("route") == "/healthz"]
    traffic = [(n, ls, v) for n, ls, v in samples(first) if n.startswith("http_server_requests_total")]
    assert traffic == [(n, ls, v) for n, ls, v in samples(again) if n.startswith("http_server_requests_total")]


def test_the_metrics_port_answers_inside_the_container_and_is_not_published(service, docker_client, image):
    text, _ = scrape(service)
    assert value(text, "http_server_requests_in_flight") == 0
    assert "gunicorn_worker_restarts_total" in {n for n, _, _ in samples(text)}
    assert next(ls for n, ls, _ in samples(text) if n == "flask_service_build_info")["version"]
    assert listening(service, METRICS_PORT)
    service.container.reload()
    assert not (service.container.network_settings.ports or {}).get(f"{METRICS_PORT}/tcp")
    assert set(docker_client.image.inspect(image).config.exposed_ports or {}) == {"8000/tcp"}
    assert http("GET", f"{service.url}/metrics").status == 404, "the app's port serves no metrics"


def test_metrics_port_0_leaves_no_directory_and_nothing_listening(unmetered):
    assert http("GET", f"{unmetered.url}/test").status == 200
    assert not listening(unmetered, METRICS_PORT)
    assert sh(unmetered, f"test -e {DIRECTORY} && echo present || echo absent").strip() == "absent"


def logged(client, container, *paths):
    """The access lines, once one for each of ``paths`` is among them (they leave in batches)."""

    def found():
        events = [json.loads(line) for line in stdout_lines(client, container)]
        return events if set(paths) <= {e.get("path") for e in events} else None

    return wait_until(found, timeout=10, interval=0.2)


def test_an_incoming_request_id_is_kept_everywhere(service, docker_client):
    rid = 'edge "id" 42'  # printable ASCII, quotes and spaces included
    answer = http("GET", f"{service.url}/test?rid-kept", headers={"X-Request-ID": rid})
    assert answer.headers["X-Request-ID"] == rid
    error = http("GET", f"{service.url}/no/such/path?rid-kept", headers={"X-Request-ID": rid})
    assert error.status == 404 and error.json()["error"]["request_id"] == rid
    events = logged(docker_client, service.container, "/test?rid-kept", "/no/such/path?rid-kept")
    assert [e["request_id"] for e in events if e["path"].endswith("?rid-kept")] == [rid, rid]


@pytest.mark.parametrize("incoming", ["x" * 129, None])
def test_a_missing_or_unfit_request_id_is_replaced_by_one_the_access_line_shares(service, docker_client, incoming):
    marker = f"/test?rid={'long' if incoming else 'none'}"
    answer = http("GET", f"{service.url}{marker}", headers={"X-Request-ID": incoming} if incoming else {})
    fresh = answer.headers["X-Request-ID"]
    assert FRESH_ID.fullmatch(fresh)
    events = logged(docker_client, service.container, marker)
    assert [e["request_id"] for e in events if e["path"] == marker][-1] == fresh


def test_100_worker_restarts_leave_the_directory_and_the_scrape_bounded(churned):
    """client_python#204/#443: without compaction every restart leaves files the scrape reads forever."""
    found = churned.result()
    print(
        f"\n100 worker restarts: files {found['files_before']} -> {found['files_after']}, "
        f"{found['kib_before']} -> {found['kib_after']} KiB, scrape {found['ms_before']:.1f} -> "
        f"{found['ms_after']:.1f} ms (median of 9, inside the container)"
    )
    assert value(found["text_after"], "gunicorn_worker_restarts_total") >= 100
    assert requests_to(found["text_after"], "/test") == found["sent"], "every request counted once, across 100 dead"
    # The master's 2 gauge files, at most 4 per live worker, one archive per type: not one per pid.
    bound = 2 + 4 * churned.workers + 2
    assert found["files_after"] <= bound and found["files_before"] <= bound, (
        found["files_before"],
        found["files_after"],
    )
    assert found["kib_after"] <= max(found["kib_before"], 4 * bound)
    # A loose sanity bound only (timings are the benchmark's business): the trap is seconds.
    assert found["ms_after"] < 3 * found["ms_before"] + 50
