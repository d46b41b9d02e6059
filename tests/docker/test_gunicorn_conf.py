"""docker/gunicorn.conf.py: settings from the environment, and workers from the CPUs allowed."""

import logging
import os
import runpy
from types import SimpleNamespace

import gunicorn_metrics
import prometheus_client  # noqa: F401 - imported before any test sets PROMETHEUS_MULTIPROC_DIR: in-process mode
import pytest

from tooling.core.settings import ROOT
from tooling.models import analysis

CONFIG = ROOT / "docker" / "gunicorn.conf.py"
VARIABLES = (
    "PORT",
    "WEB_CONCURRENCY",
    "GUNICORN_TIMEOUT",
    "GUNICORN_RELOAD",
    "GUNICORN_ACCESS_LOG",
    "GUNICORN_MAX_REQUESTS",
    "SERVICE_LOG_LEVEL",
    "METRICS_PORT",
)


@pytest.fixture(autouse=True)
def metrics_dir(monkeypatch, tmp_path):
    """The config prepares the metrics directory when it loads: a temporary one, never /dev/shm's;
    and each test is a fresh gunicorn, whose first load of the config prepares it."""
    directory = tmp_path / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    monkeypatch.setattr(gunicorn_metrics, "_exporter", None)
    return directory


def load(monkeypatch, **env):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_defaults(monkeypatch):
    config = load(monkeypatch)
    assert config["bind"] == "0.0.0.0:8000"
    assert config["workers"] == 2 * config["cpus"]() + 1
    assert config["timeout"] == 30 and config["graceful_timeout"] == 20
    assert config["accesslog"] is None, "no access lines unless asked for: inv run and docker.access_log do"
    assert config["reload"] is False and config["preload_app"] is True
    assert config["control_socket_disable"] is True and config["loglevel"] == "info"


def test_environment_overrides(monkeypatch):
    config = load(monkeypatch, PORT="9000", WEB_CONCURRENCY="2", GUNICORN_TIMEOUT="5", GUNICORN_RELOAD="1")
    assert (config["bind"], config["workers"], config["timeout"], config["reload"]) == ("0.0.0.0:9000", 2, 5, True)
    assert config["preload_app"] is False, "a reloading server imports afresh"


@pytest.mark.parametrize("value", ["off", "0", "false", "OFF"])
def test_the_access_log_can_be_turned_off(monkeypatch, value):
    assert load(monkeypatch, GUNICORN_ACCESS_LOG=value)["accesslog"] is None


@pytest.mark.parametrize(("value", "shape"), [("json", "json"), ("JSON", "json"), ("TEXT", "text")])
def test_access_lines_when_asked_for_are_json_or_text(monkeypatch, value, shape):
    config = load(monkeypatch, **({"GUNICORN_ACCESS_LOG": value} if value else {}))
    assert config["accesslog"] == "-" and config["logger_class"].access_format == shape


def test_an_unknown_access_log_value_stops_gunicorn_with_one_line(monkeypatch):
    with pytest.raises(SystemExit, match="GUNICORN_ACCESS_LOG='xml': give text, json or off"):
        load(monkeypatch, GUNICORN_ACCESS_LOG="xml")


def test_one_log_level_for_gunicorn_and_the_app(monkeypatch):
    assert load(monkeypatch, SERVICE_LOG_LEVEL="WARNING")["loglevel"] == "warning"


def cgroup(tmp_path, v2=None, v1=None):
    if v2 is not None:
        (tmp_path / "cpu.max").write_text(v2)
    if v1 is not None:
        (tmp_path / "cpu").mkdir()
        (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(str(v1[0]))
        (tmp_path / "cpu" / "cpu.cfs_period_us").write_text(str(v1[1]))
    return tmp_path


AFFINITY = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("v2", "v1", "expected"),
    [
        ("50000 100000", None, 1),  # --cpus 0.5: one CPU's worth, rounded up
        ("150000 100000", None, min(2, AFFINITY)),  # 1.5 -> 2, never more than the affinity mask
        ("max 100000", None, AFFINITY),  # no limit
        (None, (50000, 100000), 1),  # cgroup v1
        (None, (-1, 100000), AFFINITY),  # v1, no limit
        (None, None, AFFINITY),  # no cgroup files at all
        ("6400000 100000", None, AFFINITY),  # a quota of 64 CPUs on a smaller mask
    ],
)
def test_workers_follow_the_cpu_quota(monkeypatch, tmp_path, v2, v1, expected):
    config = load(monkeypatch)
    assert config["cpus"](cgroup(tmp_path, v2, v1)) == expected


def test_web_concurrency_still_wins(monkeypatch):
    assert load(monkeypatch, WEB_CONCURRENCY="7")["workers"] == 7


def test_workers_are_replaced_only_when_asked(monkeypatch):
    config = load(monkeypatch)
    assert (config["max_requests"], config["max_requests_jitter"]) == (0, 0)
    config = load(monkeypatch, GUNICORN_MAX_REQUESTS="1000")
    assert (config["max_requests"], config["max_requests_jitter"]) == (1000, 100)


def test_metrics_are_on_by_default_on_a_port_of_their_own(monkeypatch, metrics_dir):
    metrics_dir.mkdir()
    (metrics_dir / "counter_123.db").write_bytes(b"a previous run")
    (metrics_dir / "notes.txt").write_text("not ours")
    config = load(monkeypatch)
    # The port the tasks ask each replica on (tooling/models/analysis.py) is the server's default.
    assert config["METRICS_PORT"] == analysis.METRICS_PORT and config["exporter"] is not None
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(metrics_dir)
    assert sorted(p.name for p in metrics_dir.iterdir()) == ["notes.txt"], "emptied of metric files, before any worker"


def test_the_directory_is_on_dev_shm_unless_told():
    assert gunicorn_metrics.DIRECTORY.startswith("/dev/shm/")


def test_metrics_port_0_turns_metrics_off_entirely(monkeypatch, metrics_dir):
    config = load(monkeypatch, METRICS_PORT="0")
    assert config["exporter"] is None
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ, "so the app records nothing"
    assert not metrics_dir.exists()
    config["when_ready"](SimpleNamespace())  # nothing to serve, nothing fails
    config["child_exit"](SimpleNamespace(LISTENERS=[1]), SimpleNamespace(pid=1))


@pytest.mark.parametrize("port", ["8000", "70000", "-1"])
def test_a_metrics_port_that_cannot_be_is_refused_in_one_line(monkeypatch, port):
    with pytest.raises(SystemExit, match=f"METRICS_PORT={port}: give a free port other than PORT's"):
        load(monkeypatch, METRICS_PORT=port)


def test_an_unwritable_directory_is_refused_in_one_line(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(blocker / "metrics"))
    with pytest.raises(SystemExit, match=r"PROMETHEUS_MULTIPROC_DIR=.*give a writable tmpfs"):
        load(monkeypatch)


def test_restarts_count_a_workers_exit_not_the_boot_nor_the_stop(monkeypatch):
    config = load(monkeypatch, GUNICORN_ACCESS_LOG="off")
    exporter = config["exporter"]
    log = logging.getLogger("test")
    running, stopping = SimpleNamespace(LISTENERS=[object()], log=log), SimpleNamespace(LISTENERS=[], log=log)
    for pid in (101, 102, 103):  # the initial boot: three workers forked
        config["post_fork"](running, SimpleNamespace(pid=pid))
    assert exporter.restarts == 0
    config["child_exit"](running, SimpleNamespace(pid=101))  # max_requests, a timeout, a kill
    assert exporter.restarts == 1
    config["child_exit"](stopping, SimpleNamespace(pid=102))  # docker stop: the listeners closed first
    assert exporter.restarts == 1


def test_a_reload_keeps_the_directory_and_the_exporter(monkeypatch, metrics_dir):
    """SIGHUP makes gunicorn read its config again while workers run: their files must stay."""
    first = load(monkeypatch)["exporter"]
    (metrics_dir / "counter_4242.db").write_bytes(b"a live worker's counts")
    again = load(monkeypatch)["exporter"]
    assert again is first
    assert (metrics_dir / "counter_4242.db").exists()


def test_requests_in_flight_are_a_byte_per_worker_set_by_gunicorns_request_hooks(monkeypatch):
    config = load(monkeypatch, GUNICORN_ACCESS_LOG="off")
    exporter = config["exporter"]
    running = SimpleNamespace(LISTENERS=[object()], log=logging.getLogger("test"))

    def in_flight():
        return next(f for f in exporter.collect() if f.name == "http_server_requests_in_flight").samples[0].value

    workers = [SimpleNamespace(pid=pid) for pid in (201, 202, 203)]
    for worker in workers:
        config["pre_fork"](running, worker)  # in the master: each gets a byte of the shared page
    assert len({w.busy_slot for w in workers}) == 3
    config["pre_request"](workers[0], None)
    config["pre_request"](workers[1], None)
    assert in_flight() == 2
    config["post_request"](workers[0], None, {}, None)
    assert in_flight() == 1
    config["child_exit"](running, workers[1])  # killed mid-request: its byte is cleared and freed
    assert in_flight() == 0
    replacement = SimpleNamespace(pid=204)
    config["pre_fork"](running, replacement)
    assert replacement.busy_slot not in {workers[0].busy_slot, workers[2].busy_slot}


def test_with_metrics_off_no_request_hook_is_set(monkeypatch):
    config = load(monkeypatch, METRICS_PORT="0")
    assert not {"pre_fork", "pre_request", "post_request"} & set(config), "gunicorn's own defaults stay"
