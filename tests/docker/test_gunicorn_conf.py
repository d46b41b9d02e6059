"""docker/gunicorn.conf.py: settings from the environment, with defaults."""

import runpy

from tooling.settings import ROOT

CONFIG = ROOT / "docker" / "gunicorn.conf.py"


def load(monkeypatch, **env):
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_RELOAD", "GUNICORN_ACCESS_LOG_FLUSH"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_defaults(monkeypatch):
    config = load(monkeypatch)
    assert config["bind"] == "0.0.0.0:8000"
    assert config["workers"] >= 3
    assert config["timeout"] == 30 and config["graceful_timeout"] == 20
    assert config["accesslog"] == "-" and config["reload"] is False
    assert config["control_socket_disable"] is True


def test_environment_overrides(monkeypatch):
    config = load(monkeypatch, PORT="9000", WEB_CONCURRENCY="2", GUNICORN_TIMEOUT="5", GUNICORN_RELOAD="1")
    assert (config["bind"], config["workers"], config["timeout"], config["reload"]) == ("0.0.0.0:9000", 2, 5, True)


def test_access_lines_are_batched_unless_flush_is_zero(monkeypatch):
    assert load(monkeypatch)["logger_class"].__name__ == "BatchedAccessLogger"
    assert "logger_class" not in load(monkeypatch, GUNICORN_ACCESS_LOG_FLUSH="0"), "gunicorn's own logger"
