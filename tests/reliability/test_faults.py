"""Faults inside a real container: graceful stop, dead and hung workers, a dead master, maintenance."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.engine import http, remove, sh, start_test_service
from tooling.core.waiting import WaitTimeout, wait_until
from tooling.engine.containers import url

DEBUG = {"SERVICE_DEBUG_ENDPOINTS": "1"}


@pytest.fixture
def fresh(docker_client, settings, image, pytestconfig, request):
    """A container of its own per test (faults would spoil a shared one), removed afterwards."""
    envs = {**DEBUG, **getattr(request, "param", {})}
    running = start_test_service(
        docker_client, settings, image, pytestconfig, name=request.node.name[:20].strip("_-"), envs=envs
    )
    yield running
    remove(docker_client, running)


def workers(running):
    """PIDs of gunicorn's workers: the children of PID 1."""
    out = sh(running, 'for s in /proc/[0-9]*/stat; do set -- $(cat $s); [ "$4" = 1 ] && echo $1; done; true')
    return sorted(int(pid) for pid in out.split())


def eventually(predicate, timeout):
    """Whether ``predicate`` held within ``timeout`` seconds (asked every 0.2 s)."""
    try:
        return bool(wait_until(predicate, timeout=timeout, interval=0.2))
    except WaitTimeout:
        return False


def test_docker_stop_lets_in_flight_requests_finish(fresh, settings, capsys):
    slow_seconds = 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        slow = [
            pool.submit(http, "GET", f"{fresh.url}/debug/sleep?seconds={slow_seconds}", timeout=30) for _ in range(2)
        ]
        fast = pool.submit(http, "GET", f"{fresh.url}/test")
        assert eventually(lambda: fresh.container.logs().count("sleeping for 3s") == 2, 10), "both inside workers"
        started = time.monotonic()
        fresh.container.stop(time=settings.stop_timeout)
        took = time.monotonic() - started
        answers = [future.result() for future in [*slow, fast]]
    fresh.container.reload()
    with capsys.disabled():
        print(f"\ndocker stop with {slow_seconds}s requests in flight took {took:.1f}s")
    assert [a.status for a in answers] == [200, 200, 200]
    assert fresh.container.state.exit_code == 0, "gunicorn finished and exited by itself"
    assert took < slow_seconds + 5, "the stop waited for the requests, not for a kill timeout"


def test_a_killed_worker_is_replaced_and_requests_keep_succeeding(fresh):
    before = workers(fresh)
    assert len(before) >= 2
    stop = threading.Event()
    outcomes: list[tuple[float, object]] = []

    def traffic():
        while not stop.is_set():
            try:
                outcomes.append((time.monotonic(), http("GET", f"{fresh.url}/test").status))
            except OSError as error:  # only the request inside the killed worker may end like this
                outcomes.append((time.monotonic(), type(error).__name__))

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        assert eventually(lambda: len(outcomes) >= 20, 10), "traffic flows before the kill"
        killed_at = time.monotonic()
        sh(fresh, f"kill -KILL {before[0]}")
        assert eventually(lambda: len(workers(fresh)) == len(before) and before[0] not in workers(fresh), 15)
        replaced = len(outcomes)
        assert eventually(lambda: len(outcomes) >= replaced + 20, 10), "traffic flows after the replacement"
    finally:
        stop.set()
        thread.join()
    failures = [outcome for _, outcome in outcomes if outcome != 200]
    after = [outcome for moment, outcome in outcomes if moment > killed_at + 0.1]
    assert len(failures) <= 1, f"more than the one in-flight request failed: {failures}"
    assert after and after.count(200) >= len(after) - len(failures)
    fresh.container.reload()
    assert fresh.container.state.running and fresh.container.state.health.status == "healthy"


@pytest.mark.parametrize("fresh", [{"GUNICORN_TIMEOUT": "3"}], indirect=True)
def test_a_hung_worker_is_killed_by_the_timeout_and_replaced(fresh):
    before = workers(fresh)
    started = time.monotonic()
    try:
        hung = http("GET", f"{fresh.url}/debug/sleep?seconds=60", timeout=30)
        status = hung.status
    except OSError:
        status = None  # the worker died with the connection open: the client sees it drop
    took = time.monotonic() - started
    assert status != 200 and took < 30, "the request was cut by gunicorn's 3 s timeout"
    replaced = lambda: (now := set(workers(fresh))) != set(before) and len(now) == len(before)  # noqa: E731
    assert eventually(replaced, 15), "the hung worker was replaced by a new one"
    assert http("GET", f"{fresh.url}/test").status == 200


def test_the_engine_restarts_the_container_when_the_master_dies(fresh, settings):
    assert settings.restart.startswith(("on-failure", "always", "unless-stopped"))
    pid = fresh.container.state.pid
    if not pid or not os.path.exists(f"/proc/{pid}"):
        pytest.skip("the engine's processes are not visible from here (Docker Desktop runs them in a VM)")
    os.kill(pid, 9)  # what the kernel's OOM killer does to a master
    assert eventually(lambda: (fresh.container.reload(), fresh.container.restart_count)[1] >= 1, 20)
    assert eventually(lambda: (fresh.container.reload(), fresh.container.state.health.status)[1] == "healthy", 60)
    # A port the engine picked (port 0) may be another one after the restart.
    assert http("GET", f"{url(fresh.container)}/test").status == 200


def test_health_says_so_when_the_app_cannot_serve(fresh):
    sh(fresh, "touch /tmp/maintenance")
    assert http("GET", f"{fresh.url}/healthz").status == 503

    def docker_health():
        fresh.container.reload()
        return fresh.container.state.health.status

    assert eventually(lambda: docker_health() == "unhealthy", 30)
    sh(fresh, "rm /tmp/maintenance")
    assert eventually(lambda: docker_health() == "healthy", 30)
    assert http("GET", f"{fresh.url}/healthz").status == 200
