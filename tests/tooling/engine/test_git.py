"""engine/git.py: no git is not the same as no checkout, and is said so."""

import pytest

from tooling.engine import git


def test_outside_a_checkout_there_is_no_head_and_the_revision_is_unknown(monkeypatch):
    monkeypatch.setattr("subprocess.run", lambda *a, **k: type("Done", (), {"returncode": 128, "stdout": ""})())
    assert git.head() == "" and git.revision() == "unknown"


def test_no_git_is_said_as_such(monkeypatch):
    def missing(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr("subprocess.run", missing)
    with pytest.raises(git.GitMissing, match="git is not installed"):
        git.head()
    assert git.metadata().revision == "unknown", "an image still builds from an unpacked tarball"


def test_push_without_git_says_git_is_missing_not_that_this_is_no_checkout(fake_docker, inv, monkeypatch):
    monkeypatch.setenv("INVOKE_DOCKER_REGISTRY", "127.0.0.1:5001/team")

    def missing(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr("subprocess.run", missing)
    result = inv("push")
    assert result.code == 1
    assert result.err.strip().startswith("error: git is not installed (or not on PATH); install it")
