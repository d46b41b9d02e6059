"""docker/gunicorn_metrics.py's endpoint: what the master serves on its own port, from every worker's
files and its own restart counter, and how it refuses what it cannot do."""

import os
import random
import urllib.error
import urllib.request

import pytest
from gunicorn_metrics import Exporter
from prometheus_client import values

from tests.docker.workers import Expected, work


@pytest.fixture
def served(directory, multiprocess_mode):
    exporter = Exporter(str(directory))
    port = exporter.serve(0, "127.0.0.1")
    yield exporter, f"http://127.0.0.1:{port}"
    exporter.server.shutdown()
    exporter.server.server_close()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_endpoint_serves_every_process_and_the_restart_counter(served):
    exporter, url = served
    expected = Expected()
    work(3001, expected, random.Random(1))
    exporter.worker_exited(3001)
    work(3002, expected, random.Random(2))
    status, text = get(f"{url}/metrics")
    assert status == 200
    assert "gunicorn_worker_restarts_total 1.0" in text
    counted = sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("http_server_requests_total{")
    )
    assert counted == sum(expected.requests.values())
    assert get(f"{url}/metrics")[1] == text, "scraping counts nothing: the second scrape reads the same"
    assert get(f"{url}/")[0] == 404 and get(f"{url}/test")[0] == 404


def test_a_worker_lets_go_of_the_masters_listening_socket(served):
    exporter, _ = served
    listening = exporter.server.socket.fileno()
    duplicate = os.dup(listening)  # the master's own copy, as a fork leaves it in the master
    try:
        exporter.close_in_worker()
        assert exporter.server.socket.fileno() == -1
    finally:
        os.close(duplicate)


def test_serving_refuses_a_client_imported_in_single_process_mode(directory):
    assert not values.ValueClass._multiprocess  # as this test process imported it
    with pytest.raises(SystemExit, match="imported before PROMETHEUS_MULTIPROC_DIR was set"):
        Exporter(str(directory)).serve(0, "127.0.0.1")


def test_a_port_in_use_is_refused_in_one_line(served, directory):
    _, url = served
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(SystemExit, match=f"METRICS_PORT={port}: cannot listen"):
        Exporter(str(directory)).serve(port, "127.0.0.1")
