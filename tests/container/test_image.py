"""What the image holds and how its container runs: the tutorial's flaws, fixed."""

import re
import subprocess
import time
import tomllib

import pytest

from tests.engine import sh
from tooling.core.settings import ROOT
from tooling.engine import git


def test_the_service_does_not_run_as_root(service, docker_client, image):
    assert sh(service, "id -u").strip() == "10001"
    assert docker_client.image.inspect(image).config.user == "10001:10001"
    # gunicorn itself (PID 1) and every worker
    owners = sh(service, "for p in /proc/[0-9]*; do stat -c %u $p; done | sort -u").split()
    assert owners == ["10001"]


def test_gunicorn_is_pid_1(service):
    assert "gunicorn" in sh(service, "tr '\\0' ' ' < /proc/1/cmdline")


@pytest.mark.parametrize("tool", ["gcc", "cc", "g++", "make", "pip", "pip3", "apk", "curl"])
def test_the_image_has_no_build_tool(service, tool):
    assert sh(service, f"command -v {tool} || echo absent").strip() == "absent"


def test_the_venv_has_no_package_manager(service):
    assert "No module named pip" in sh(service, "python3 -m pip --version 2>&1 || true")


def test_the_app_folder_holds_only_the_service(service):
    assert sh(service, "ls -A /app").split() == ["docker", "service"]
    found = sh(
        service,
        "find / -xdev \\( -name .git -o -name '.env*' -o -name tests -o -name '*.pyc' -path '/app/*' \\) "
        "-not -path '/proc/*' -not -path '/usr/*' -not -path '/opt/venv/*' 2>/dev/null || true",
    )
    assert found.strip() == ""


def test_the_container_is_read_only_and_without_capabilities(service):
    assert "Read-only file system" in sh(service, "touch /app/x 2>&1 || true")
    assert sh(service, "touch /tmp/x && echo writable").strip() == "writable"
    assert sh(service, "grep CapEff /proc/1/status").split()[1] == "0000000000000000"


def test_oci_labels_say_what_was_built(docker_client, image):
    labels = docker_client.image.inspect(image).config.labels
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert labels["org.opencontainers.image.version"] == project["version"]
    assert labels["org.opencontainers.image.source"] == project["urls"]["Source"]
    assert labels["org.opencontainers.image.revision"].removesuffix("-dirty") == git.head()
    assert labels["org.opencontainers.image.created"].endswith("Z")


def test_history_and_labels_hold_only_known_build_args(docker_client, image):
    # python-on-whales has no `docker history`; the CLI answers it directly.
    history = subprocess.run(
        ["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", image],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    recorded = set(re.findall(r"\b([A-Z_]+)=", history))
    allowed = {
        "APP_UID",
        "PROJECT",
        "PYTHON_IMAGE",
        "VERSION",
        "REVISION",
        "CREATED",
        "SOURCE",
        "PATH",
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "PORT",
        "PIP_NO_CACHE_DIR",
        "PIP_DISABLE_PIP_VERSION_CHECK",
        "SERVICE_VERSION",
        "SERVICE_REVISION",
        "SERVICE_BUILD_DATE",
    }
    assert recorded <= allowed, f"unexpected values in the image history: {recorded - allowed}"
    config = docker_client.image.inspect(image).config
    text = f"{config.labels} {config.env}".upper()
    assert not any(word in text for word in ("TOKEN", "SECRET", "PASSWORD"))


def test_docker_stop_is_graceful_and_exits_0(stopping, settings):
    started = time.monotonic()
    stopping.container.stop(time=settings.stop_timeout)
    took = time.monotonic() - started
    stopping.container.reload()
    assert stopping.container.state.exit_code == 0, "gunicorn ends on SIGTERM by itself, it is not killed"
    assert took < settings.stop_timeout, "the stop did not run into the kill timeout"
