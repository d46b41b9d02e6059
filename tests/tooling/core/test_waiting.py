"""core/waiting.py: the one polling loop every wait of the tooling goes through."""

from types import SimpleNamespace

import pytest

from tooling.core import waiting
from tooling.core.errors import ToolError
from tooling.core.waiting import WaitTimeout, wait_until


@pytest.fixture
def clock(monkeypatch):
    """Time that moves only when the loop sleeps. The loop's own clock, not the time module's: a
    thread left by another test (a metrics flusher sleeping 0.25 s, say) would move that one too."""
    now = [0.0]
    fake = SimpleNamespace(monotonic=lambda: now[0], sleep=lambda seconds: now.__setitem__(0, now[0] + seconds))
    monkeypatch.setattr(waiting, "time", fake)
    return now


def test_the_first_truthy_answer_is_returned_and_each_miss_ticks(clock):
    answers = iter([None, 0, "", "found"])
    ticks: list[float] = []
    assert wait_until(lambda: next(answers), timeout=10, interval=2, on_tick=ticks.append) == "found"
    assert ticks == [0.0, 2.0, 4.0] and clock[0] == 6.0


def test_a_wait_that_never_succeeds_times_out_after_the_timeout(clock):
    with pytest.raises(WaitTimeout) as waited:
        wait_until(lambda: False, timeout=5, interval=2)
    assert waited.value.seconds == 6.0, "asked once more at the timeout, never later"


def test_a_predicate_that_knows_it_is_hopeless_ends_the_wait_at_once(clock):
    def hopeless():
        raise ToolError("it exited")

    with pytest.raises(ToolError, match="it exited"):
        wait_until(hopeless, timeout=60, interval=1)
    assert clock[0] == 0.0
