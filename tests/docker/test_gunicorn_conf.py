"""docker/gunicorn.conf.py: settings from the environment, and workers from the CPUs allowed."""

import os
import runpy

import pytest

from tooling.core.settings import ROOT

CONFIG = ROOT / "docker" / "gunicorn.conf.py"
VARIABLES = (
    "PORT",
    "WEB_CONCURRENCY",
    "GUNICORN_TIMEOUT",
    "GUNICORN_RELOAD",
    "GUNICORN_ACCESS_LOG",
    "SERVICE_LOG_LEVEL",
)


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
    assert config["accesslog"] == "-" and config["reload"] is False and config["preload_app"] is True
    assert config["control_socket_disable"] is True and config["loglevel"] == "info"


def test_environment_overrides(monkeypatch):
    config = load(monkeypatch, PORT="9000", WEB_CONCURRENCY="2", GUNICORN_TIMEOUT="5", GUNICORN_RELOAD="1")
    assert (config["bind"], config["workers"], config["timeout"], config["reload"]) == ("0.0.0.0:9000", 2, 5, True)
    assert config["preload_app"] is False, "a reloading server imports afresh"


@pytest.mark.parametrize("value", ["off", "0", "false", "OFF"])
def test_the_access_log_can_be_turned_off(monkeypatch, value):
    assert load(monkeypatch, GUNICORN_ACCESS_LOG=value)["accesslog"] is None


@pytest.mark.parametrize(("value", "shape"), [(None, "json"), ("json", "json"), ("TEXT", "text")])
def test_access_lines_are_json_unless_text_is_asked_for(monkeypatch, value, shape):
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
