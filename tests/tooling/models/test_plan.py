"""models/plan.py: what one `docker stack deploy` is asked to do."""

import json

import pytest

from tooling.core.errors import ToolError
from tooling.core.settings import DEFAULTS, Settings
from tooling.models.plan import plan, secret
from tooling.models.release import Release

NEW = "reg/app@sha256:" + "b" * 64


@pytest.fixture
def settings():
    return Settings.load({**DEFAULTS, "registry": "127.0.0.1:5001/team", "stack_port": "9090"})


def test_the_plan_pins_both_images_by_digest_and_passes_the_settings(settings):
    release = Release(NEW, "reg/edge@sha256:" + "e" * 64, monitor="reg/monitor@sha256:" + "f" * 64)
    made = plan(settings, release, 3, None)
    assert made.variables == {
        "WEB_IMAGE": NEW,
        "EDGE_IMAGE": release.edge,
        "MONITOR_IMAGE": release.monitor,
        "WEB_REPLICAS": "3",
        "STACK_PORT": "9090",
        "PROJECT": "flask-service",
        "ACCESS_LOG": "off",
    }
    assert made.overlay is None and made.files[0].name == "stack.yml"


def test_a_secret_reaches_the_app_as_a_file_under_a_name_that_hashes_its_value(settings, tmp_path):
    key = tmp_path / "key"
    one, two = secret("flask-service", b"s3cret", key), secret("flask-service", b"another", key)
    assert one.name != two.name and one.name.startswith("flask-service_secret_key_")
    assert secret("flask-service", b"s3cret", key) == one, "the same value, the same name"
    overlay = plan(settings, Release(NEW, NEW, monitor=NEW), 2, two).overlay
    assert overlay is not None
    assert overlay["services"]["web"]["environment"] == {"SERVICE_SECRET_KEY_FILE": "/run/secrets/secret_key"}
    assert overlay["secrets"]["secret_key"] == {"name": two.name, "file": str(key)}
    assert "another" not in json.dumps(overlay), "the plan names the file, never the value"


def test_a_release_without_a_monitor_is_refused_before_swarm_is_asked(settings):
    with pytest.raises(ToolError, match="names no monitor image; run `inv push` and deploy again"):
        plan(settings, Release(NEW, NEW), 2, None)


def test_on_an_engine_with_a_start_interval_the_stack_gets_the_cadence_and_a_shorter_monitor(settings):
    from tooling.models.health import STARTING_FAST

    release = Release(NEW, NEW, monitor=NEW)
    assert plan(settings, release, 2, None).overlay is None, "the stack file as it is: the image's own check"
    overlay = plan(settings, release, 2, None, STARTING_FAST).overlay
    assert overlay is not None
    web = overlay["services"]["web"]
    assert web["healthcheck"] == STARTING_FAST.compose()
    assert web["deploy"]["update_config"] == {"monitor": "5s"} == web["deploy"]["rollback_config"]


@pytest.mark.parametrize(
    ("value", "stack", "run"), [("auto", "off", "json"), ("text", "text", "text"), ("off", "off", "off")]
)
def test_access_lines_are_on_for_a_developer_and_off_behind_the_edge_unless_said(settings, value, stack, run):
    chosen = settings.override(access_log=value)
    assert plan(chosen, Release(NEW, NEW, monitor=NEW), 2, None).variables["ACCESS_LOG"] == stack
    assert chosen.access_lines("run") == run
