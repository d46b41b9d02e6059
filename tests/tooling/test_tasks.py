"""tasks.py, the door for people: every task documents itself and every flag, and is listed."""

import pytest

import tasks

TASKS = sorted(tasks.ns.task_names)


def test_the_collection_holds_the_tasks_the_docs_promise():
    assert (
        sorted(
            [
                "build",
                "run",
                "shell",
                "logs",
                "stop",
                "status",
                "clean",
                "doctor",
                "lock",
                "push",
                "deploy",
                "rollback",
                "undeploy",
                "top",
            ]
        )
        == TASKS
    )


@pytest.mark.parametrize("name", TASKS)
def test_every_task_documents_itself_and_every_flag(name, inv):
    task = tasks.ns[name]
    assert task.__doc__ and task.__doc__.strip().endswith(".")
    options = inv("--help", name).out.split("Options:")[-1]
    flags = [line.split() for line in options.splitlines() if line.strip().startswith("-")]
    for words in flags:
        described = [w for w in words if not w.startswith("-") and not w.isupper()]
        assert described, f"inv {name} {words[0]} has no help"


def test_inv_list_names_every_task_with_its_first_line(inv):
    lines = [line for line in inv("--list").out.splitlines() if line.startswith("  ") and not line.startswith("   ")]
    listed = {line.split()[0]: line for line in lines}
    assert sorted(listed) == TASKS
    for name in TASKS:
        assert " ".join(tasks.ns[name].__doc__.split()[:3]) in listed[name]


def test_an_unknown_flag_is_one_line(inv):
    result = inv("build", "--colour")
    assert result.code == 1
    assert result.err.strip() == "No idea what '--colour' is!"
