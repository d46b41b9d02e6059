"""engine/registry.py: which digest a reference names, asked of the registry without pulling."""

import json

import pytest

from tooling.core.errors import ToolError
from tooling.engine.registry import digest_of

INDEX = [
    {
        "Ref": "reg.example/app:1@sha256:" + "1" * 64,
        "Descriptor": {"digest": "sha256:" + "1" * 64, "platform": {"architecture": "amd64"}},
    },
    {
        "Ref": "reg.example/app:1@sha256:" + "2" * 64,
        "Descriptor": {"digest": "sha256:" + "2" * 64, "platform": {"architecture": "arm64"}},
    },
]


@pytest.fixture
def index(fake_docker):
    """The registry holds reg.example/app:1 as a multi-platform index; buildx says its own digest."""
    answers = fake_docker.cli

    def cli(args, **kwargs):
        args = [str(a) for a in args]
        if args[1:3] == ["manifest", "inspect"]:
            fake_docker.calls.append(("cli", {"args": args}))
            return json.dumps(INDEX)
        if args[1:4] == ["buildx", "imagetools", "inspect"]:
            fake_docker.calls.append(("cli", {"args": args}))
            return json.dumps({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + "f" * 64})
        return answers(args, **kwargs)

    fake_docker.cli = cli
    return fake_docker


def pulled(fake):
    return [name for name, _ in fake.calls if name == "pull"]


def test_a_single_platform_manifest_is_named_by_its_digest(fake_docker):
    fake_docker.registry["reg.example/app:1"] = "sha256:" + "a" * 64
    assert digest_of(fake_docker, "reg.example/app:1") == "reg.example/app@sha256:" + "a" * 64
    assert digest_of(fake_docker, "reg.example/app:2") is None


def test_an_index_is_named_by_its_own_digest_through_buildx_and_never_pulled(index):
    index.has_buildx = True
    assert digest_of(index, "reg.example/app:1") == "reg.example/app@sha256:" + "f" * 64
    assert pulled(index) == []


def test_an_index_named_by_digest_already_is_that_digest(index):
    reference = "reg.example/app@sha256:" + "f" * 64
    assert digest_of(index, reference) == reference


def test_an_index_without_buildx_is_one_line_saying_what_to_do(index):
    with pytest.raises(
        ToolError, match=r"is a multi-platform index, whose digest only buildx asks the registry for; install"
    ):
        digest_of(index, "reg.example/app:1")
    assert pulled(index) == []
