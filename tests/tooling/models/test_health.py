"""models/health.py: the health cadence by the engine's API version, and its arithmetic."""

import pytest

from tooling.models.health import STARTING_FAST, api_version, cadence


@pytest.mark.parametrize(("text", "parsed"), [("1.41", (1, 41)), ("1.45", (1, 45)), ("", (0, 0)), ("x.y", (0, 0))])
def test_api_versions_are_read_and_unreadable_ones_are_the_oldest(text, parsed):
    assert api_version(text) == parsed


def test_engine_25_and_later_check_often_while_starting_and_rarely_after():
    assert cadence((1, 41)) is None, "Engine 20.10: the image's own 3 s"
    assert cadence((1, 43)) is None
    fast = cadence((1, 44))
    assert fast is STARTING_FAST and cadence((1, 45)) is fast
    assert fast.start_interval == 1 and fast.interval >= 10, "seen healthy within a second; rare after"


def test_a_replica_that_never_answers_is_unhealthy_in_time_to_be_rolled_back_within_45_s():
    assert STARTING_FAST.unhealthy_after == 5 + 2 * 10
    assert STARTING_FAST.unhealthy_after + STARTING_FAST.monitor < 45


def test_the_cadence_as_docker_run_and_a_stack_file_say_it():
    assert STARTING_FAST.run_flags() == {
        "start-interval": "1s", "start-period": "5s", "interval": "10s", "retries": "2", "timeout": "3s"
    }  # fmt: skip
    assert STARTING_FAST.compose()["start_interval"] == "1s" and "test" not in STARTING_FAST.compose()
