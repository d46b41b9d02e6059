"""inv logs: the container's output, with --tail, --since and --follow."""

from datetime import datetime, timedelta

import pytest

from tooling.verbs.logs import parse_since


def test_logs_pass_tail_since_follow(running, fake_docker, inv):
    result = inv("logs", "--tail", "5", "--since", "10m", "--follow")
    assert result.code == 0
    assert fake_docker.calls[-1] == (
        "logs",
        {"follow": True, "tail": 5, "since": timedelta(minutes=10), "stream": True},
    )
    assert "GET /test 200" in result.out and "worker booted" in result.err


def test_logs_reject_a_bad_tail(running, inv):
    result = inv("logs", "--tail", "many")
    assert result.code == 1 and "--tail 'many' is not a number" in result.err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", timedelta(seconds=45)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("2026-01-31T12:00", datetime(2026, 1, 31, 12, 0)),
    ],
)
def test_since_accepts_durations_and_times(text, expected):
    assert parse_since(text) == expected


def test_logs_reject_a_bad_since(running, inv):
    result = inv("logs", "--since", "yesterday")
    assert result.code == 1 and "--since 'yesterday' is neither a duration" in result.err
