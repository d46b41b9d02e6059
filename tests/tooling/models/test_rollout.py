"""models/rollout.py: how each look at a service of the stack is judged, while Swarm works and once it is done."""

import pytest

from tooling.models.rollout import assess
from tooling.models.swarm import Observation, Task, Update

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


def test_the_timeline_says_where_a_rollout_s_time_went():
    from datetime import UTC, datetime

    from tooling.models.rollout import Timeline

    def at(second, state, n):
        return Task(f"t{n}", "n1", NEW, state, "running", created=f"2026-11-30T10:00:{1 + 4 * n:02d}.5Z",
                    since=f"2026-11-30T10:00:{second:02d}.500000000Z")  # fmt: skip

    timeline = Timeline(began=datetime(2026, 11, 30, 10, 0, 1, tzinfo=UTC))
    timeline.look([at(3, "starting", 0)])  # created at 01.5, pulled till 03.5
    timeline.look([at(4, "running", 0), at(7, "starting", 1)])  # healthy a second later; the next one
    timeline.look([at(4, "running", 0), at(8, "running", 1)], completed="2026-11-30T10:00:13.5Z")
    timeline.seen = datetime(2026, 11, 30, 10, 0, 14, tzinfo=UTC)
    assert timeline.phases() == (
        "to Swarm 0.5s, pull and create 2.0s, start to healthy 1.0s, monitor 5.0s, noticed 0.5s "
        "(pull and start: a replica's, median of 2)"
    )
    assert Timeline(began=timeline.began).phases() == "", "nothing seen, nothing said"
