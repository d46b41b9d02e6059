"""models/release.py: the history of what a stack served, and how a release is found in it."""

import pytest

from tooling.core.errors import ToolError
from tooling.models.release import Recorded, Release, find, labels, previous, recorded


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


def test_a_release_survives_its_round_trip_through_a_configs_labels():
    release = Release(
        "reg/app@sha256:" + "a" * 64, "reg/edge@sha256:" + "e" * 64, "1" * 40, "reg/mon@sha256:" + "f" * 64
    )
    config = {"Spec": {"Name": "s-release-1", "Labels": labels("s", release, "2026-11-30T10:00:00Z", "me@here", "p")}}
    assert recorded(config) == Recorded(release, "2026-11-30T10:00:00Z", "me@here", "s-release-1")
