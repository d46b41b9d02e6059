"""What the container writes: one JSON object per line, access lines on stdout, gunicorn's own and
the app's events on stderr, health checks left out; and workers that follow the CPU quota."""

import json
import uuid

from tests.engine import http
from tooling.core.waiting import wait_until


def lines(client, container, stream):
    """The container's lines on ``stream`` (stdout or stderr), as `docker logs` keeps them apart."""
    chunks = b"".join(data for source, data in client.container.logs(container, stream=True) if source == stream)
    return [line for line in chunks.decode().splitlines() if line.strip()]


def test_access_lines_are_json_and_health_checks_are_left_out(docker_client, service):
    probe = uuid.uuid4().hex
    http("GET", f"{service.url}/test?probe={probe}", headers={"User-Agent": 'smoke "é"/1'})

    def written() -> list[str] | None:  # access lines leave in batches, at least once a second
        found = lines(docker_client, service.container, "stdout")
        return found if any(probe in line for line in found) else None

    events = [json.loads(line) for line in wait_until(written, timeout=10, interval=0.2)]  # each parses
    (mine,) = [e for e in events if probe in e["path"]]
    assert (mine["logger"], mine["method"], mine["status"]) == ("access", "GET", 200)
    assert mine["path"] == f"/test?probe={probe}" and mine["bytes"] == len("test_endpoint_get")
    assert mine["agent"].startswith('smoke "'), "quotes and all, inside one JSON string"
    assert not [e for e in events if e["path"].startswith("/healthz")], "the health checks are not logged"


def test_text_access_lines_when_asked_for(docker_client, text_lines):
    http("GET", f"{text_lines.url}/test", headers={"User-Agent": 'smoke "quoted"/1', "X-Request-ID": "text-1"})
    (line,) = wait_until(lambda: lines(docker_client, text_lines.container, "stdout"), timeout=10, interval=0.2)
    assert line.split(" ", 1)[1].startswith('"GET /test" 200 17 ')
    assert line.endswith('ms "smoke \\x22quoted\\x22/1" "text-1"'), "quotes escaped: one request, one line"


def test_gunicorns_own_lines_are_the_apps_json(docker_client, service):
    events = [json.loads(line) for line in lines(docker_client, service.container, "stderr")]
    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in events)
    assert {"time", "level", "logger", "message"} <= set(events[0])


WORKERS = "import runpy; print(runpy.run_path('/app/docker/gunicorn.conf.py')['workers'])"


def children_of_pid_1(container):
    out = container.execute(
        ["sh", "-c", 'for s in /proc/[0-9]*/stat; do set -- $(cat $s); [ "$4" = 1 ] && echo $1; done; true']
    )
    return out.split()


def test_workers_follow_the_cpu_quota(quota):
    """`--cpus 0.5` on a bigger machine: one CPU's worth, so 2 x 1 + 1 workers, not one per host CPU."""
    # What gunicorn.conf.py computes inside the container, on its own cgroup; then that many boot.
    assert str(quota.execute(["python3", "-c", WORKERS])).strip() == "3"
    wait_until(lambda: quota.logs().count("Booting worker") >= 3, timeout=30, interval=0.2)
    assert len(children_of_pid_1(quota)) == 3
