"""The repository's furniture stays true: the examples list every variable and setting the code
reads, the pre-commit hooks pin what the lint lock pins, and the README names every file a
newcomer meets."""

import re
import subprocess
import tomllib

import pytest
from invoke import Config
from invoke.util import yaml

from service.config import DEFAULTS as SERVICE_DEFAULTS
from tooling.core.settings import DEFAULTS, ROOT, Settings


def variables_read() -> set[str]:
    """Every environment variable the service and its server read, found where they are read."""
    names = {f"SERVICE_{key}" for key in SERVICE_DEFAULTS}
    names |= set(re.findall(r'"(SERVICE_[A-Z_]+)"', (ROOT / "service" / "config.py").read_text()))
    for path in (ROOT / "docker").glob("*.py"):
        names |= set(re.findall(r'(?:_int|_off|os\.environ\.get)\(\s*"([A-Z][A-Z0-9_]*)"', path.read_text()))
    names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)[:}]", (ROOT / "docker" / "healthcheck.sh").read_text()))
    return names


def test_the_code_is_searched_where_the_variables_are():
    """The search above finds what it must, or the next test would prove nothing."""
    assert {
        "PORT",
        "WEB_CONCURRENCY",
        "SERVICE_LOG_LEVEL",
        "GUNICORN_ACCESS_LOG",
        "SERVICE_SECRET_KEY_FILE",
    } <= variables_read()


def test_env_example_lists_every_variable_and_nothing_else():
    listed = re.findall(r"^#?([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    assert len(listed) == len(set(listed)), "listed once each"
    assert set(listed) == variables_read()


def test_env_example_gives_the_services_defaults():
    listed = dict(re.findall(r"^#?(SERVICE_[A-Z_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.MULTILINE))
    for key, default in SERVICE_DEFAULTS.items():
        given = listed[f"SERVICE_{key}"]
        assert given.lower() == str(int(default) if isinstance(default, bool) else default).lower(), key


def test_invoke_yaml_example_holds_every_setting_with_its_default(tmp_path):
    (tmp_path / "invoke.yaml").write_text((ROOT / "invoke.yaml.example").read_text())
    config = Config(project_location=tmp_path)
    config.load_project()
    example = dict(config.docker)
    assert list(example) == list(DEFAULTS), "every setting, in the order settings.py declares them"
    assert Settings.load(example) == Settings.load(DEFAULTS), "and each at its default"


def test_the_pre_commit_hooks_pin_what_the_lint_lock_pins():
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    pinned = {dep for hook in hooks for dep in hook.get("additional_dependencies", [])}
    locked = set(re.findall(r"^([a-z0-9-]+==\S+)", (ROOT / "requirements" / "lint.txt").read_text(), re.MULTILINE))
    assert pinned and pinned <= locked, pinned - locked


def test_the_project_names_its_source():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert re.fullmatch(r"https://[\w.-]+/[\w.-]+/[\w.-]+", urls["Source"])


def tracked() -> list[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [f for f in files if "/" not in f or f.startswith(".github/")]


@pytest.mark.parametrize("path", [p for p in tracked() if p not in {".gitignore", ".dockerignore", "README.md"}])
def test_the_readme_names_every_file_a_newcomer_meets(path):
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"(^|[\s`/]){re.escape(path.rsplit('/', 1)[-1])}([\s`]|$)", readme, re.MULTILINE), path


def modules() -> list[str]:
    """Every Python file of the repository, committed or about to be."""
    listed = ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"]
    return subprocess.run(listed, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()


def test_no_module_is_over_250_lines():
    """A module that outgrows a screenful of screens has two things in it: split it where they part."""
    assert "tooling/core/settings.py" in modules(), "the search finds the modules"
    longer = {path: n for path in modules() if (n := len((ROOT / path).read_text().splitlines())) > 250}
    assert not longer, longer
