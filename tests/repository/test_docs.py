"""The README and docs/ stay true: the README short and linking every page, every relative link
resolving, every `inv` and `nox` command in them naming a task or session that exists (with flags
that task takes), and docs/configuration.md describing every setting and variable at its default."""

import re
import shlex
from pathlib import Path

import nox
import pytest
from invoke.parser import Parser

import tasks
from tests.repository.test_conventions import variables_read
from tooling.core.settings import DEFAULTS, ROOT

README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, *PAGES]
CONFIGURATION = ROOT / "docs" / "configuration.md"


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_readme_is_read_in_five_minutes():
    assert len(README.read_text().splitlines()) <= 200


def test_every_page_of_docs_is_linked_from_the_readme():
    linked = set(re.findall(r"\]\((docs/[^)#]+)", README.read_text()))
    assert linked == {relative(page) for page in PAGES}
    assert {"docs/configuration.md", "docs/deploying.md", "docs/architecture.md", "docs/benchmarks.md"} <= linked


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to dashes."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)
    return [link for link in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", link)]


@pytest.mark.parametrize("path", DOCUMENTS, ids=relative)
def test_every_relative_link_resolves(path):
    for link in links(path):
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        assert file.exists(), f"{relative(path)} links to {link}: no such file"
        if anchor:
            assert anchor in anchors(file), f"{relative(path)} links to {link}: no such heading"


def commands(path: Path, program: str) -> list[list[str]]:
    """Every `program ...` command in the page's code blocks and inline code, as argv after it."""
    text = path.read_text()
    snippets = [line for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL) for line in block.splitlines()]
    snippets += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    found = []
    for snippet in snippets:
        for part in re.split(r"&&|;|\|", snippet.split(" #")[0]):
            if program not in part.split():
                continue
            words = shlex.split(part)
            while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):  # VAR=value before the command
                words = words[1:]
            if words[:1] == [program] and len(words) > 1 and not any(w.isupper() for w in words[1:2]):
                found.append(words[1:])
    return found


def test_commands_are_found_where_they_are():
    """The search finds what it must, or the tests below would prove nothing."""
    inv = [c[0] for page in DOCUMENTS for c in commands(page, "inv")]
    assert {"build", "run", "deploy", "rollback", "doctor"} <= set(inv)
    assert ["-s", "deploy", "--", "-k", "rollback"] in commands(README, "nox")


@pytest.mark.parametrize("path", DOCUMENTS, ids=relative)
def test_every_inv_command_names_tasks_and_flags_that_exist(path):
    parser = Parser(contexts=tasks.ns.to_contexts())
    for argv in commands(path, "inv"):
        if argv[0].startswith("-"):  # inv --list, inv --help TASK: the program's own flags
            assert argv[0] in {"--list", "--help", "-l", "-h"}, argv
            continue
        parsed = parser.parse_argv(argv)  # raises on a task or flag that does not exist
        assert [context.name for context in parsed], argv


def sessions() -> set[str]:
    """Every name `nox -s` takes: each session, and each of its Pythons."""
    registered = nox.registry.get()
    if not registered:
        import noxfile  # noqa: F401 - registers the sessions

        registered = nox.registry.get()
    names = set(registered)
    for name, function in registered.items():
        pythons = function.python if isinstance(function.python, list) else []
        names |= {f"{name}-{python}" for python in pythons}
    return names


@pytest.mark.parametrize("path", DOCUMENTS, ids=relative)
def test_every_nox_command_names_sessions_that_exist(path):
    known = sessions()
    assert {"lint", "smoke", "deploy", "tests-3.12"} <= known
    for argv in commands(path, "nox"):
        if "-s" not in argv:
            assert argv[0] in {"--list", "--"}, argv
            continue
        named = argv[argv.index("-s") + 1 :]
        named = named[: named.index("--")] if "--" in named else named
        for name in (n for word in named if not word.startswith("-") for n in word.split(",")):
            assert name in known, f"{relative(path)}: `nox -s {name}` names no session"


def rows(text: str) -> dict[str, str]:
    """First cell (its code spans, split on commas) -> second cell, for each table row."""
    found = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and line.startswith("|") and not set(cells[0]) <= {"-"}:
            for name in re.findall(r"`([^`]+)`", cells[0]):
                found[name] = cells[1]
    return found


def shown(default: object) -> str:
    if default == "" or default is None:
        return "*(empty"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`"


def test_the_configuration_page_describes_every_setting_at_its_default():
    documented = rows(CONFIGURATION.read_text())
    for key, default in DEFAULTS.items():
        assert key in documented, f"docs/configuration.md does not describe docker.{key}"
        assert documented[key].startswith(shown(default)), f"docker.{key}: {documented[key]} is not {default!r}"


def test_the_configuration_page_describes_every_variable_the_service_reads_at_its_default():
    documented = rows(CONFIGURATION.read_text())
    listed = dict(re.findall(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", (ROOT / ".env.example").read_text(), re.MULTILINE))
    for name in variables_read():
        assert name in documented, f"docs/configuration.md does not describe {name}"
        default = listed[name]
        if default:  # a computed default (WEB_CONCURRENCY) is described in words
            assert documented[name].strip("`") == default, f"{name}: {documented[name]} is not {default}"


def test_the_configuration_page_describes_nothing_that_does_not_exist():
    documented = set(rows(CONFIGURATION.read_text()))
    assert documented <= set(DEFAULTS) | variables_read(), documented - set(DEFAULTS) - variables_read()
