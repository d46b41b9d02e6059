"""What the tests of docker/'s Python share: the folder on sys.path, as gunicorn.conf.py has it in the
image, and a prometheus_client multiprocess directory prepared as the master prepares it."""

import sys

import pytest
from prometheus_client import values

from tooling.core.settings import ROOT

sys.path.insert(0, str(ROOT / "docker"))  # where gunicorn.conf.py finds its machinery in the image
from multiprocess_files import prepare


@pytest.fixture
def directory(tmp_path, monkeypatch):
    path = tmp_path / "metrics"
    prepare(str(path))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(path))
    return path


@pytest.fixture
def multiprocess_mode():
    """What gunicorn.conf.py ensures in the image: the client imported in multiprocess mode."""
    saved = values.ValueClass
    values.ValueClass = values.MultiProcessValue()
    yield
    values.ValueClass = saved
