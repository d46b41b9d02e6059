"""inv deploy and inv rollback judging a release by its own traffic, from the monitor's answers
played back: a release whose 5xx share is too high is rolled back and never counts; one that passes,
or has too little traffic to judge, says so with its figures."""

import pytest

from tests.tooling.stack import EDGE, EDGE_UP, HEAD, MONITOR, V1, V2, running, web
from tooling.engine import prometheus
from tooling.models.release import Recorded, Release

SERVED = {"web": [web(running(V2, 1), running(V2, 2))], "edge": [EDGE_UP]}


def test_a_release_whose_5xx_share_is_too_high_is_rolled_back_and_never_counts(cluster, inv, fake_docker):
    swarm, history = cluster
    swarm.script = {
        "web": [web(running(V2, 1), running(V2, 2)), web(running(V1, 1), running(V1, 2), image=V1)],
        "edge": [EDGE_UP],
    }
    fake_docker.prometheus.requests, fake_docker.prometheus.errors = [1000, 1500], [10, 210]
    result = inv("deploy")
    assert result.code == 1
    assert result.err.strip().splitlines()[-1] == (
        "error: sha256:bbbbbbbbbbbb… (rev 1234567) answered 40.0% 5xx over 500 requests in 30s, above "
        "docker.max_error_ratio (1.0%): rolled back; sha256:aaaaaaaaaaaa… (rev 7654321) serves again"
    )
    assert [plan.variables["WEB_IMAGE"] for plan in swarm.plans] == [V2, V1], "back by the same path"
    assert [r.release.web for r in history.records] == [V1], "the failed release never counts as having served"
    assert fake_docker.prometheus.probes == [] and len(fake_docker.prometheus.started) == 1, "its probe went"
    assert "judging the release by its traffic: 500 requests, 200 5xx" in result.err, "a live line meanwhile"
    assert history.lock is None


def test_a_release_that_passes_says_so_with_its_figures(cluster, inv, fake_docker):
    swarm, history = cluster
    swarm.script = SERVED
    fake_docker.prometheus.requests, fake_docker.prometheus.errors = [0, 400], [0, 2]
    result = inv("deploy")
    assert result.code == 0, result.err
    assert "judged by its own traffic: 0.5% 5xx over 400 requests in 30s, passed" in result.out
    assert history.records[0].release.web == V2 and len(swarm.plans) == 1


def test_too_little_traffic_to_judge_is_a_pass_with_a_warning(cluster, inv, fake_docker, monkeypatch):
    swarm, history = cluster
    swarm.script = SERVED
    monkeypatch.setenv("INVOKE_DOCKER_ANALYSIS_SECONDS", "10")
    fake_docker.prometheus.requests, fake_docker.prometheus.errors = [0, 40], [0, 40]
    result = inv("deploy")
    assert result.code == 0, result.err
    assert (
        "warning: too little traffic to judge it (40 requests in 10s, fewer than docker.analysis_min_requests, 100)"
        in result.out.splitlines()[-2]
    )
    assert "the monitor reads" not in result.out, "it read every replica: the traffic was just low"
    assert history.records[0].release.web == V2


def test_too_little_traffic_from_replicas_the_monitor_cannot_read_says_so(cluster, inv, fake_docker):
    swarm, _ = cluster
    swarm.script = SERVED
    fake_docker.prometheus.vectors["up{"] = []  # no scrape of the new replicas answered
    result = inv("deploy")
    assert result.code == 0, result.err
    warning = result.out.splitlines()[-2]
    assert warning.startswith("warning: too little traffic to judge it (0 requests in 30s"), warning
    assert warning.endswith(", and the monitor reads 0 of its 2 replicas (see `inv top`): passed unjudged"), warning


def test_a_rollback_reports_its_traffic_and_never_rolls_back_again(cluster, inv, fake_docker):
    swarm, history = cluster
    history.records.insert(0, Recorded(Release(V2, EDGE, HEAD, MONITOR), "2026-11-26T00:00:00Z", "me", "r1"))
    swarm.serving_image = V2
    swarm.script = {"web": [web(running(V1, 1), running(V1, 2), image=V1)], "edge": [EDGE_UP]}
    fake_docker.prometheus.requests, fake_docker.prometheus.errors = [0, 500], [0, 100]
    result = inv("rollback")
    assert result.code == 0, result.err
    assert "judged by its own traffic: 20.0% 5xx over 500 requests in 30s, FAILED" in result.out
    assert [plan.variables["WEB_IMAGE"] for plan in swarm.plans] == [V1]


def test_no_analysis_does_not_ask_the_monitor(cluster, inv, fake_docker):
    swarm, _ = cluster
    swarm.script = SERVED
    result = inv("deploy", "--no-analysis")
    assert result.code == 0, result.err
    assert "not judged by its traffic (--no-analysis)" in result.out
    assert fake_docker.prometheus.started == []


@pytest.mark.parametrize("fault", ["ctrl-c", "monitor down"])
def test_an_analysis_cut_short_leaves_the_release_in_place_and_says_so(cluster, inv, fake_docker, monkeypatch, fault):
    swarm, history = cluster
    swarm.script = SERVED
    if fault == "ctrl-c":
        answers = fake_docker.prometheus.cli

        def interrupted(args):
            if args[1] == "exec" and len(fake_docker.prometheus.requests) == 1:
                raise KeyboardInterrupt
            return answers(args)

        fake_docker.prometheus.requests = [0, 10]
        monkeypatch.setattr(fake_docker.prometheus, "cli", interrupted)
    else:
        monkeypatch.setattr(prometheus, "PAUSE", 0)
        fake_docker.prometheus.down = "Error response from daemon: container is not running"
    result = inv("deploy")
    assert result.code == (130 if fault == "ctrl-c" else 1)
    assert fake_docker.prometheus.execs == (1 if fault == "ctrl-c" else prometheus.TRIES), "down: asked again"
    last = result.err.strip().splitlines()[-1]
    assert "while judging sha256:bbbbbbbbbbbb… (rev 1234567): it stays in place, serving, not judged" in last
    assert history.records[0].release.web == V2, "what serves is in the history"
    assert fake_docker.prometheus.probes == [] and history.lock is None


def test_a_monitor_the_engine_refuses_once_is_asked_again(cluster, inv, fake_docker, monkeypatch):
    """A probe's start, or an exec into it, refused once and granted the next time (moby/moby#41841):
    the judging goes on, and the probe refused at its start (left created) goes too."""
    swarm, history = cluster
    swarm.script = SERVED
    monkeypatch.setattr(prometheus, "PAUSE", 0)
    fake = fake_docker.prometheus
    fake.refusals = {
        "run": ["Error response from daemon: attaching to network failed, make sure your network options are "
                "correct and check manager logs: context deadline exceeded"],
        "exec": ['Error: query error: Get "http://monitor:9090/api/v1/query": dial tcp: lookup monitor: i/o timeout'],
    }  # fmt: skip
    fake.requests, fake.errors = [0, 400], [0, 2]
    result = inv("deploy")
    assert result.code == 0, result.err
    assert "judged by its own traffic: 0.5% 5xx over 400 requests in 30s, passed" in result.out
    assert fake.refusals == {"run": [], "exec": []}, "each refusal was met, and the next try answered"
    assert len(fake.started) == 1 and fake.probes == [], "the refused probe and the one that answered both went"
    assert history.records[0].release.web == V2
