import pytest

from tests.tooling.fakes import docker_error


def test_build_tags_latest_and_the_git_sha_with_the_classic_builder(fake_docker, inv):
    result = inv("build")
    assert result.code == 0, result.err
    name, kwargs = fake_docker.calls[-1]
    assert name == "legacy_build"
    assert kwargs["tags"][0] == "flask-service:latest"
    assert len(kwargs["tags"]) == 2 and kwargs["tags"][1].startswith("flask-service:")
    assert "the classic builder" in result.out
    assert "Step 2/3 : RUN pip install" in result.out, "build output is streamed"
    assert "built flask-service:latest" in result.out and "MB in" in result.out


def test_build_passes_oci_metadata_and_the_project_label(fake_docker, inv):
    inv("build")
    args = fake_docker.calls[-1][1]["build_args"]
    assert args["VERSION"] == "0.1.0"
    assert args["PROJECT"] == "flask-service"
    assert args["CREATED"].endswith("Z")
    assert len(args["REVISION"].removesuffix("-dirty")) == 40


def test_build_uses_buildx_when_the_client_has_it(fake_docker, inv):
    fake_docker.has_buildx = True
    result = inv("build")
    assert result.code == 0, result.err
    name, kwargs = fake_docker.calls[-1]
    assert name == "buildx_build" and kwargs["load"] and kwargs["stream_logs"]
    assert "buildx (BuildKit)" in result.out


@pytest.mark.parametrize(
    ("flags", "key", "expected"),
    [(["--no-cache"], "cache", False), ([], "cache", True), (["--pull"], "pull", True), ([], "pull", False)],
)
def test_build_flags_reach_the_builder(fake_docker, inv, flags, key, expected):
    assert inv("build", *flags).code == 0
    assert fake_docker.calls[-1][1][key] is expected


def test_base_image_flag_beats_config_which_beats_the_dockerfile(fake_docker, inv, monkeypatch):
    inv("build")
    assert "PYTHON_IMAGE" not in fake_docker.calls[-1][1]["build_args"]
    monkeypatch.setenv("INVOKE_DOCKER_BASE_IMAGE", "mirror/python:3.13-slim")
    inv("build")
    assert fake_docker.calls[-1][1]["build_args"]["PYTHON_IMAGE"] == "mirror/python:3.13-slim"
    inv("build", "--base-image", "local/python:3.11")
    assert fake_docker.calls[-1][1]["build_args"]["PYTHON_IMAGE"] == "local/python:3.11"


def test_repeatable_build_args(fake_docker, inv):
    assert inv("build", "--build-arg", "A=1", "--build-arg", "B=two=2").code == 0
    args = fake_docker.calls[-1][1]["build_args"]
    assert args["A"] == "1" and args["B"] == "two=2"


@pytest.mark.parametrize(
    ("arg", "message"),
    [("NOVALUE", "is not KEY=VALUE"), ("1BAD=x", "is not KEY=VALUE"), ("API_TOKEN=abc", "looks like a secret")],
)
def test_bad_build_args_are_refused_before_building(fake_docker, inv, arg, message):
    result = inv("build", "--build-arg", arg)
    assert result.code == 1
    assert message in result.err
    assert fake_docker.calls == []


def test_a_failing_build_names_the_step(fake_docker, inv):
    fake_docker.build_error = docker_error("The command '/bin/sh -c pip install' returned a non-zero code: 1")
    result = inv("build")
    assert result.code == 1
    assert "build failed at `Step 2/3 : RUN pip install`" in result.err
    assert "returned a non-zero code: 1" in result.err
    assert "Traceback" not in result.err


def test_a_failing_buildx_build_names_the_step(fake_docker, inv):
    fake_docker.has_buildx = True
    fake_docker.build_error = docker_error('ERROR: failed to solve: process "/bin/sh -c pip install" did not complete')
    result = inv("build")
    assert result.code == 1
    assert "`#5 [builder 3/4] RUN pip install`" in result.err


def test_a_missing_base_image_says_how_to_point_at_another(fake_docker, inv):
    fake_docker.build_output = ["Step 1/3 : FROM python:3.13-slim AS builder"]
    fake_docker.build_error = docker_error('Get "https://registry-1.docker.io/v2/": dial tcp: no such host')
    result = inv("build")
    assert result.code == 1
    assert "INVOKE_DOCKER_BASE_IMAGE" in result.err


def test_a_failed_classic_build_removes_its_step_container_and_nothing_else(fake_docker, inv):
    from tooling.core.settings import PROJECT_LABEL

    step = fake_docker.add_container("step", labels={PROJECT_LABEL: "flask-service"})
    service = fake_docker.add_container("flask-service")
    other = fake_docker.add_container("someone-elses", labels={"x": "y"})
    fake_docker.build_error = docker_error("The command '/bin/sh -c false' returned a non-zero code: 1")
    assert inv("build").code == 1
    assert step.name not in fake_docker.containers
    assert {service.name, other.name} <= set(fake_docker.containers)


def test_buildx_reads_and_writes_the_cache_it_is_told_to(fake_docker, inv, monkeypatch):
    fake_docker.has_buildx = True
    monkeypatch.setenv("INVOKE_DOCKER_CACHE_FROM", "type=local,src=/tmp/cache")
    monkeypatch.setenv("INVOKE_DOCKER_CACHE_TO", "type=local,dest=/tmp/cache-new,mode=max")
    assert inv("build").code == 0
    kwargs = fake_docker.calls[-1][1]
    assert kwargs["cache_from"] == "type=local,src=/tmp/cache"
    assert kwargs["cache_to"] == "type=local,dest=/tmp/cache-new,mode=max"
    assert inv("build", "--no-cache").code == 0 and fake_docker.calls[-1][1]["cache"] is False
