"""inv lock: every environment pinned again in order, each against the pinned files beside it;
--check changes nothing and names the stale ones. uv is played by a fake: resolving needs the network."""

import pytest

from tooling.core.errors import ToolError
from tooling.verbs import requirements


@pytest.fixture
def uv(monkeypatch, tmp_path):
    """A fake `uv pip compile`: writes what ``answers`` says for each input, records each call."""
    calls: list[list[str]] = []
    answers: dict[str, str | None] = {}

    def run(command, **kwargs):
        calls.append(command)
        source, output = command[command.index("-o") - 1], command[command.index("-o") + 1]
        answer = answers.get(source, f"pinned from {source}\n")
        if answer is None:
            return type(
                "Done", (), {"returncode": 2, "stderr": "error: no solution found\n  cause: flask<3 and flask>=3"}
            )()
        with open(output, "w") as written:
            written.write(answer)
        return type("Done", (), {"returncode": 0, "stderr": ""})()

    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr("subprocess.run", run)
    environments = tuple(
        requirements.Requirements(tmp_path / f"{name}.in", tmp_path / f"{name}.txt", beside)
        for name, beside in (("a", ()), ("b", (tmp_path / "a.txt",)))
    )
    for found in environments:
        found.source.write_text("x\n")
    monkeypatch.setattr("tooling.verbs.requirements.ENVIRONMENTS", environments)
    monkeypatch.setattr("tooling.verbs.requirements.ROOT", tmp_path)
    return calls, answers, environments


def test_pin_all_writes_every_environment_in_order_each_against_the_ones_beside_it(uv):
    calls, _, (a, b) = uv
    assert requirements.pin_all() == ["a.txt", "b.txt"]
    assert [c[c.index("-o") + 1] for c in calls] == [str(a.pinned), str(b.pinned)]
    assert calls[1][calls[1].index("-c") + 1] == str(a.pinned), "b is constrained by a's pins"
    assert "--generate-hashes" in calls[0] and "--universal" in calls[0] and "--upgrade" not in calls[0]
    assert requirements.pin_all() == [], "the same answer a second time changes nothing"
    requirements.pin_all(upgrade=True)
    assert "--upgrade" in calls[-1]


def test_check_changes_nothing_and_names_the_stale_file(uv):
    _, answers, (_, b) = uv
    requirements.pin_all()
    assert requirements.stale() == []
    answers[str(b.source)] = "a newer pin\n"
    assert requirements.stale() == ["b.txt"]
    assert b.pinned.read_text() == f"pinned from {b.source}\n", "--check never writes a pinned file"


def test_a_missing_pinned_file_is_stale(uv):
    _, _, (a, _) = uv
    requirements.pin_all()
    a.pinned.unlink()
    assert requirements.stale() == ["a.txt"]


def test_an_input_that_cannot_be_resolved_is_one_line(uv):
    _, answers, (a, _) = uv
    answers[str(a.source)] = None
    with pytest.raises(ToolError, match=r"^cannot lock a.in:   cause: flask<3 and flask>=3$"):
        requirements.pin_all()


def test_no_uv_says_how_to_get_it(uv, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(ToolError, match="uv is not installed"):
        requirements.pin_all()


def test_the_task_fails_on_a_stale_file_and_says_what_to_run(uv, inv):
    _, answers, (_, b) = uv
    requirements.pin_all()
    answers[str(b.source)] = "a newer pin\n"
    result = inv("lock", "--check")
    assert result.code == 1
    assert result.err.strip() == "error: b.txt no longer matches its input; run `inv lock` and commit the result"
    answers[str(requirements.ENVIRONMENTS[0].source)] = "another pin\n"
    result = inv("lock", "--check")
    assert result.err.strip().startswith("error: a.txt, b.txt no longer match their inputs; run `inv lock`")
