"""models/analysis.py: counts read twice from the monitor, and the verdict they give."""

import re

import pytest

from tooling.models.analysis import grown, instances, judge


def test_counters_grow_per_replica_and_a_new_or_restarted_one_counts_from_zero():
    before = {"a:9464": 100.0, "b:9464": 50.0}
    after = {"a:9464": 160.0, "b:9464": 7.0, "c:9464": 30.0}  # b restarted; c is new
    assert grown(before, after) == 60 + 7 + 30


def test_the_replicas_are_matched_by_their_address_and_nothing_else():
    regex = instances(["10.0.0.12", "10.0.0.1"])
    assert re.fullmatch(regex, "10.0.0.1:9464") and re.fullmatch(regex, "10.0.0.12:9464")
    assert not re.fullmatch(regex, "10.0.0.2:9464"), "dots are dots"
    assert not re.fullmatch(regex, "10.0.0.1:8000")


@pytest.mark.parametrize(
    ("requests", "errors", "passed", "enough"),
    [(1000, 10, True, True), (1000, 11, False, True), (99, 99, True, False), (100, 2, False, True)],
)
def test_the_verdict(requests, errors, passed, enough):
    found = judge(requests, errors, 30, min_requests=100, max_ratio=0.01)
    assert (found.passed, found.enough) == (passed, enough)


def test_the_figures_say_the_ratio_and_over_what():
    assert judge(400, 2, 30.4, min_requests=100, max_ratio=0.01).figures() == "0.5% 5xx over 400 requests in 30s"
