"""inv push: the image built from HEAD to the registry, with the stack's other images when they are new."""

import pytest

from tests.tooling.fakes import FakeImage
from tooling.core.settings import REVISION_LABEL

HEAD = "1234567" + "0" * 33
REGISTRY = "127.0.0.1:5001/team"


@pytest.fixture
def checkout(fake_docker, monkeypatch):
    """A clean checkout at HEAD, an image built from it, and a registry set."""
    monkeypatch.setattr("tooling.engine.git.head", lambda: HEAD)
    monkeypatch.setattr("tooling.engine.git.dirty", lambda: False)
    monkeypatch.setenv("INVOKE_DOCKER_REGISTRY", REGISTRY)
    fake_docker.images["flask-service:latest"] = FakeImage(["flask-service:latest"], {REVISION_LABEL: HEAD})
    return fake_docker


def test_push_tags_the_revision_and_the_tag_and_ends_with_the_apps_digest(checkout, inv):
    result = inv("push")
    assert result.code == 0, result.err
    assert checkout.pushed[:2] == [f"{REGISTRY}/flask-service:1234567", f"{REGISTRY}/flask-service:latest"]
    last = result.out.strip().splitlines()[-1]
    assert (
        last.startswith(f"{REGISTRY}/flask-service@sha256:")
        and last.split("@")[1] == checkout.registry[checkout.pushed[0]]
    )


def test_the_edge_and_the_monitor_are_built_and_pushed_once(checkout, inv):
    first = inv("push")
    said = first.out.splitlines()[-4:]  # the builds' output comes first
    assert said[1].startswith(f"edge {REGISTRY}/flask-service-edge@sha256:") and said[1].endswith("(built and pushed)")
    assert said[2].startswith(f"monitor {REGISTRY}/flask-service-monitor@sha256:")
    builds = [kwargs for name, kwargs in checkout.calls if name == "legacy_build"]
    assert [b["tags"][0].split(":")[-1].split("-")[0] for b in builds] == ["edge", "monitor"]
    edge, monitor = (
        next(ref for ref in checkout.pushed if f"flask-service-{part}:{part}-" in ref) for part in ("edge", "monitor")
    )
    again = inv("push")
    assert again.code == 0 and again.out.count("already in the registry") == 2
    assert [name for name, _ in checkout.calls].count("legacy_build") == 2, "not built again"
    assert checkout.pushed.count(edge) == checkout.pushed.count(monitor) == 1, "not pushed again"


def test_the_stack_s_images_build_on_the_base_images_set(checkout, inv, monkeypatch):
    monkeypatch.setenv("INVOKE_DOCKER_EDGE_BASE_IMAGE", "ci-standin/nginx-light:bookworm")
    monkeypatch.setenv("INVOKE_DOCKER_MONITOR_BASE_IMAGE", "ci-standin/prometheus:bookworm")
    assert inv("push").code == 0
    args = [kwargs["build_args"] for name, kwargs in checkout.calls if name == "legacy_build"]
    assert args[0]["NGINX_IMAGE"] == "ci-standin/nginx-light:bookworm" and "PROMETHEUS_IMAGE" not in args[0]
    assert args[1]["PROMETHEUS_IMAGE"] == "ci-standin/prometheus:bookworm"


def test_push_refuses_a_dirty_tree_unless_told(checkout, inv, monkeypatch):
    monkeypatch.setattr("tooling.engine.git.dirty", lambda: True)
    result = inv("push")
    assert result.code == 1 and "uncommitted changes" in result.err and "--allow-dirty" in result.err
    assert checkout.pushed == []
    checkout.images["flask-service:latest"].labels[REVISION_LABEL] = HEAD + "-dirty"
    assert inv("push", "--allow-dirty").code == 0
    assert checkout.pushed[0] == f"{REGISTRY}/flask-service:1234567-dirty"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no registry", "no registry is set; set docker.registry"),
        ("not built", "image flask-service:latest is not built yet"),
        ("built from another commit", "was built from 89abcde, not from HEAD (1234567); run `inv build`"),
        ("registry down", "the registry 127.0.0.1:5001 does not answer"),
        ("no login", "the registry 127.0.0.1:5001 wants a login"),
    ],
)
def test_push_failures_are_one_line_and_push_nothing(checkout, inv, monkeypatch, setup, message):
    if setup == "no registry":
        monkeypatch.delenv("INVOKE_DOCKER_REGISTRY")
    if setup == "not built":
        del checkout.images["flask-service:latest"]
    if setup == "built from another commit":
        checkout.images["flask-service:latest"].labels[REVISION_LABEL] = "89abcde" + "1" * 33
    if setup == "registry down":
        checkout.registry_error = (
            'Get "http://127.0.0.1:5001/v2/": dial tcp 127.0.0.1:5001: connect: connection refused'
        )
    if setup == "no login":
        checkout.registry_error = "no basic auth credentials"
    result = inv("push")
    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert checkout.pushed == []
