"""engine/history.py against answers recorded from real engines: the release history and the
deploy lock, as Docker configs in the swarm; a lock that cannot be let go of is said, never swallowed."""

import pytest

from tests.tooling.replay import ENGINES, Recorded
from tooling.core.errors import ToolError
from tooling.engine.history import KEEP_RELEASES, History
from tooling.models.release import Release

pytestmark = pytest.mark.parametrize("engine", ENGINES)
STUCK = "Error response from daemon: rpc error: code = Unavailable desc = the swarm does not have a leader"


@pytest.fixture
def history(fake_docker):
    def at(engine, moment="converged"):
        fake_docker.recorded = Recorded(engine, moment)
        return History(fake_docker)

    return at


def configs(fake_docker):
    return sorted(c["Spec"]["Name"] for c in fake_docker.recorded.objects["configs"])


def test_the_releases_are_read_newest_first_and_the_lock_is_not_one(history, engine):
    found = history(engine).releases("rec")
    assert [r.release.revision[:2] for r in found] == ["v1", "v0"]
    assert [r.at for r in found] == ["2026-11-30T10:01:00.000000Z", "2026-11-30T10:00:00.000000Z"]
    assert found[0].by == "rec@host (pid 1)" and found[0].release.edge.endswith("e" * 64)
    assert history(engine).releases("another") == []


def test_a_release_is_recorded_and_only_the_newest_are_kept(history, fake_docker, engine):
    kept = history(engine)
    release = Release("reg/app@sha256:" + "c" * 64, "reg/edge@sha256:" + "e" * 64, "c" * 40)
    kept.record("rec", release, "me@here (pid 2)", "rec")
    assert kept.releases("rec")[0].release == release
    for _ in range(KEEP_RELEASES):
        kept.record("rec", release, "me@here (pid 2)", "rec")
    assert len(kept.releases("rec")) == KEEP_RELEASES
    assert not [r for r in kept.releases("rec") if r.release.revision.startswith("v")], "the oldest went first"


def test_a_held_lock_is_refused_naming_who_holds_it_since_when(history, fake_docker, engine):
    with pytest.raises(ToolError) as refused, history(engine).locked("rec", "me@here (pid 2)", "rec"):
        pytest.fail("the block ran under somebody else's lock")
    assert refused.value.message == (
        "another deploy of rec holds the lock: someone@elsewhere (pid 42) since 2026-11-30T10:05:00Z; "
        "wait for it, or if that run was killed, break the lock with --break-lock"
    )
    assert "rec-deploy-lock" in configs(fake_docker), "somebody else's lock stays"


def test_a_broken_lock_is_taken_and_let_go_of(history, fake_docker, engine):
    ran = []
    with history(engine).locked("rec", "me@here (pid 2)", "rec", break_lock=True):
        held = [c for c in fake_docker.recorded.objects["configs"] if c["Spec"]["Name"] == "rec-deploy-lock"]
        ran.append(held[0]["Spec"]["Labels"]["dev.flask-service.lock-of.holder"])
    assert ran == ["me@here (pid 2)"]
    assert "rec-deploy-lock" not in configs(fake_docker)


def test_a_lock_that_cannot_be_let_go_of_is_one_line_saying_how(history, fake_docker, engine):
    kept = history(engine)
    with pytest.raises(ToolError) as stuck, kept.locked("rec", "me", "rec", break_lock=True):
        fake_docker.recorded.refuse_removal = STUCK
    assert stuck.value.message.startswith("the deploy lock rec-deploy-lock could not be removed (")
    assert stuck.value.message.endswith("remove it with `docker config rm rec-deploy-lock`")


def test_a_failure_under_the_lock_is_not_hidden_by_the_lock_s_own(history, fake_docker, engine):
    kept = history(engine)
    with pytest.raises(ToolError) as both, kept.locked("rec", "me", "rec", break_lock=True):
        fake_docker.recorded.refuse_removal = STUCK
        raise ToolError("Swarm rolled the update of web back", code=1)
    assert both.value.message.startswith("Swarm rolled the update of web back; and the deploy lock rec-deploy-lock")


def test_an_interrupt_under_the_lock_still_lets_go_of_it(history, fake_docker, engine):
    with pytest.raises(KeyboardInterrupt), history(engine).locked("rec", "me", "rec", break_lock=True):
        raise KeyboardInterrupt
    assert "rec-deploy-lock" not in configs(fake_docker)


def test_forgetting_the_history_removes_its_configs_and_nothing_else(history, fake_docker, engine):
    assert history(engine).forget("rec") == ["rec-release-20261130100001", "rec-release-20261130100000"]
    assert configs(fake_docker) == ["rec-deploy-lock"]
