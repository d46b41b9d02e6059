"""tooling.stack: what a deploy asks of Swarm, and how what Swarm answers is judged (pure data)."""

import json

import pytest

from tooling.errors import ToolError
from tooling.settings import DEFAULTS, Settings
from tooling.stack import (
    Observation,
    Recorded,
    Release,
    Task,
    Update,
    assess,
    edge_tag,
    find,
    plan,
    previous,
    secret,
)

NEW = "reg/app@sha256:" + "b" * 64
OLD = "reg/app@sha256:" + "a" * 64


def task(image=NEW, state="running", n=1):
    return Task(id=f"t{n}-{state}", node="n1", image=image, state=state, desired="running")


def seen(*tasks, image=NEW, update=None, ended=()):
    return Observation(name="web", image=image, update=update, current=list(tasks), ended=list(ended))


UPDATING = Update("updating", "2026-11-26T10:00:00Z")
COMPLETED = Update("completed", "2026-11-26T10:00:00Z", "update completed")
OLD_ROLLBACK = Update("rollback_completed", "2026-11-25T09:00:00Z", "rollback completed")


def test_a_first_deploy_converges_when_every_replica_runs_the_new_image():
    assert assess(seen(task(n=1), task(n=2)), NEW, 2, None).ok


def test_replicas_still_starting_are_waited_for():
    verdict = assess(seen(task(n=1), task(state="starting", n=2)), NEW, 2, None)
    assert not verdict.done
    assert verdict.line == "1/2 web replicas on sha256:bbbbbbbbbbbb… healthy"


def test_an_update_converges_only_when_swarm_says_it_completed():
    both = (task(n=1), task(n=2))
    assert not assess(seen(*both, update=UPDATING), NEW, 2, None).done, "the monitor period is not over"
    assert assess(seen(*both, update=COMPLETED), NEW, 2, None).ok


def test_an_old_rollback_says_nothing_about_this_deploy():
    """A no-op redeploy keeps the UpdateStatus of an earlier update: it is not this deploy's."""
    assert assess(seen(task(n=1), task(n=2), update=OLD_ROLLBACK), NEW, 2, OLD_ROLLBACK).ok


def test_an_update_still_running_before_this_deploy_is_waited_for():
    """After a Ctrl-C, the next deploy of the same release waits for what Swarm went on with."""
    both = (task(n=1), task(n=2))
    assert not assess(seen(*both, update=UPDATING), NEW, 2, UPDATING).done, "the monitor period is not over"
    assert assess(seen(*both, update=COMPLETED), NEW, 2, UPDATING).ok
    rolled = Update("rollback_completed", UPDATING.started, "rollback completed")
    assert assess(seen(task(OLD, n=1), task(OLD, n=2), image=OLD, update=rolled), NEW, 2, UPDATING).problem


def test_a_rollback_of_this_deploy_fails_it_with_the_failing_task():
    dead = Task(id="bad", node="n1", image=NEW, state="complete", desired="shutdown", container="c1")
    rolled = Update("rollback_completed", "2026-11-26T10:00:00Z", "rollback completed")
    verdict = assess(seen(task(OLD, n=1), task(OLD, n=2), image=OLD, update=rolled, ended=[dead]), NEW, 2, OLD_ROLLBACK)
    assert verdict.done and not verdict.ok
    assert verdict.problem == "Swarm rolled the update of web back"
    assert verdict.failing == dead


def test_while_swarm_rolls_back_the_deploy_waits_and_says_so():
    started = Update("rollback_started", "2026-11-26T10:00:00Z", "update rolled back due to failure of task x")
    verdict = assess(seen(task(OLD, n=1), image=OLD, update=started), NEW, 2, None)
    assert not verdict.done and "rolling it back" in verdict.line


@pytest.mark.parametrize("state", ["paused", "rollback_paused"])
def test_a_paused_update_fails_the_deploy(state):
    verdict = assess(seen(task(n=1), update=Update(state, "2026-11-26T10:00:00Z", "update paused")), NEW, 2, None)
    assert verdict.done and not verdict.ok and "paused" in verdict.problem


def test_a_replica_of_the_old_image_still_running_is_not_converged():
    assert not assess(seen(task(n=1), task(OLD, n=2)), NEW, 2, None).done


def test_a_first_deploy_whose_tasks_keep_dying_fails_instead_of_waiting_for_the_timeout():
    dead = [task(state="failed", n=i) for i in range(3)]
    verdict = assess(seen(task(state="starting", n=9), ended=dead), NEW, 2, None)
    assert verdict.done and not verdict.ok and "keep failing" in verdict.problem


def test_a_global_service_needs_each_of_its_tasks_running():
    edge = "reg/edge@sha256:" + "e" * 64
    assert assess(seen(task(edge), image=edge), edge, None, None).ok
    assert not assess(seen(image=edge), edge, None, None).done, "no edge task yet"


def revision(found):
    """The revision of a release found, or None."""
    return None if found is None else found.release.revision


def history(*pairs):
    return [Recorded(Release(f"reg/app@sha256:{d * 64}", "reg/edge@sha256:e", rev), "", "me", d) for d, rev in pairs]


def test_previous_is_the_release_before_the_one_serving():
    served = history(("c", "3333333"), ("b", "2222222"), ("a", "1111111"))
    assert revision(previous(served, "sha256:" + "c" * 64)) == "2222222"
    assert revision(previous(served, "sha256:" + "b" * 64)) == "1111111"
    assert previous(served, "sha256:" + "a" * 64) is None


def test_a_release_swarm_rolled_back_was_never_recorded_so_never_counts():
    """The history holds only releases that turned healthy: after a rolled-back deploy, the one
    serving is still the newest record, and the one before it is the way back."""
    served = history(("b", "2222222"), ("a", "1111111"))
    assert revision(previous(served, "sha256:" + "b" * 64)) == "1111111"


@pytest.mark.parametrize(
    ("wanted", "expected"), [("1111111", "1111111"), ("sha256:bbbbbbb", "2222222"), ("bbbbbbbb", "2222222")]
)
def test_find_by_revision_or_digest(wanted, expected):
    assert revision(find(history(("b", "2222222"), ("a", "1111111")), wanted)) == expected


def test_find_needs_seven_characters():
    with pytest.raises(ToolError, match="too short"):
        find(history(("a", "1111111")), "abc")


@pytest.fixture
def settings():
    return Settings.load({**DEFAULTS, "registry": "127.0.0.1:5001/team", "stack_port": "9090"})


def test_the_plan_pins_both_images_by_digest_and_passes_the_settings(settings):
    release = Release(NEW, "reg/edge@sha256:" + "e" * 64)
    made = plan(settings, release, 3, None)
    assert made.variables == {
        "WEB_IMAGE": NEW,
        "EDGE_IMAGE": release.edge,
        "WEB_REPLICAS": "3",
        "STACK_PORT": "9090",
        "PROJECT": "flask-service",
    }
    assert made.overlay is None and made.files[0].name == "stack.yml"


def test_a_secret_reaches_the_app_as_a_file_under_a_name_that_hashes_its_value(settings, tmp_path):
    key = tmp_path / "key"
    key.write_text("s3cret")
    one = secret(settings.override(secret_key_file=str(key)))
    key.write_text("another")
    two = secret(settings.override(secret_key_file=str(key)))
    assert one is not None and two is not None
    assert one.name != two.name and one.name.startswith("flask-service_secret_key_")
    overlay = plan(settings, Release(NEW, NEW), 2, two).overlay
    assert overlay is not None
    assert overlay["services"]["web"]["environment"] == {"SERVICE_SECRET_KEY_FILE": "/run/secrets/secret_key"}
    assert overlay["secrets"]["secret_key"] == {"name": two.name, "file": str(key)}
    assert "another" not in json.dumps(overlay), "the plan names the file, never the value"


@pytest.mark.parametrize(("content", "message"), [(None, "is not a file"), ("  \n", "is empty")])
def test_a_missing_or_empty_secret_file_is_one_line(settings, tmp_path, content, message):
    key = tmp_path / "key"
    if content is not None:
        key.write_text(content)
    with pytest.raises(ToolError, match=message):
        secret(settings.override(secret_key_file=str(key)))


def test_no_secret_file_means_no_secret(settings):
    assert secret(settings) is None


def test_the_edge_tag_follows_its_content_and_nothing_else(settings, tmp_path):
    (tmp_path / "nginx.conf").write_text("events {}\n")
    (tmp_path / "Dockerfile").write_text("FROM nginx\n")
    first = edge_tag(settings, tmp_path)
    assert edge_tag(settings, tmp_path) == first, "the same content, the same tag"
    assert edge_tag(settings.override(tag="v2", replicas="5"), tmp_path) == first, "an app release changes nothing"
    (tmp_path / "nginx.conf").write_text("events { worker_connections 10; }\n")
    assert edge_tag(settings, tmp_path) != first
    assert edge_tag(settings.override(edge_base_image="debian-nginx:12"), tmp_path) != edge_tag(settings, tmp_path)
