"""Supply chain and secrets: a tampered lock fails the build; secrets stay out of the image."""

import io
import re
import shutil

import pytest

from tests.engine import RUN_ID
from tooling.core.errors import ToolError
from tooling.core.settings import ROOT
from tooling.verbs.build import build_image
from tooling.verbs.clean import clean_project


@pytest.fixture
def tampered_context(tmp_path):
    """The build context with every hash of one package (flask) changed by one digit: pip accepts any
    of a package's listed hashes, so a single changed one would still let the wheel's through."""
    for part in ("docker", "service", "requirements"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".dockerignore", tmp_path / ".dockerignore")
    lock = tmp_path / "requirements" / "service.txt"
    text = lock.read_text()
    found = re.search(r"^flask==.*?(?=^\S)", text, re.MULTILINE | re.DOTALL)
    assert found, "the lock pins flask"
    block = found.group(0)
    tampered = re.sub(r"([0-9a-f]{63})([0-9a-f])", lambda m: m[1] + ("0" if m[2] != "0" else "1"), block)
    assert tampered != block
    lock.write_text(text.replace(block, tampered))
    return tmp_path


def test_a_tampered_hash_fails_the_build(docker_client, settings, tampered_context):
    project = f"flask-service-tamper-{RUN_ID}"
    output = io.StringIO()
    try:
        with pytest.raises(ToolError) as failure:
            build_image(
                docker_client,
                settings.override(project=project),
                tags=[f"{project}:x"],
                no_cache=True,
                out=output,
                context=tampered_context,
            )
    finally:
        clean_project(docker_client, project)
    assert "--require-hashes" in failure.value.message, "the message names the failing step"
    assert "DO NOT MATCH THE HASHES" in output.getvalue()
    assert not docker_client.image.exists(f"{project}:x")


def test_the_tasks_refuse_secret_build_args():
    from tooling.verbs.build import parse_build_args

    with pytest.raises(ToolError, match="looks like a secret"):
        parse_build_args(["DB_PASSWORD=hunter2"])


def test_the_env_file_reaches_the_container_not_the_image(docker_client, settings, image, tmp_path):
    from tooling.verbs.run import start_service

    env_file = tmp_path / "app.env"
    env_file.write_text("API_TOKEN=s3cret-value\n")
    repository, _, tag = image.rpartition(":")
    settings = settings.override(
        container=f"flask-service-envfile-{RUN_ID}", image=repository, tag=tag, port=0, env_file=str(env_file)
    )
    container = start_service(docker_client, settings, role="test")
    try:
        assert str(container.execute(["sh", "-c", "echo $API_TOKEN"])).strip() == "s3cret-value"
        assert "s3cret-value" not in str(docker_client.image.inspect(image).config.env)
    finally:
        container.remove(force=True)
