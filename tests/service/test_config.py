import pytest

from service.config import DEFAULTS, from_environ


def test_defaults_without_environment():
    assert from_environ({}) == DEFAULTS


@pytest.mark.parametrize(
    ("variable", "raw", "key", "expected"),
    [
        ("SERVICE_MAX_CONTENT_LENGTH", "2048", "MAX_CONTENT_LENGTH", 2048),
        ("SERVICE_DEBUG_ENDPOINTS", "true", "DEBUG_ENDPOINTS", True),
        ("SERVICE_DEBUG_ENDPOINTS", "0", "DEBUG_ENDPOINTS", False),
        ("SERVICE_REVISION", "abc123", "REVISION", "abc123"),
    ],
)
def test_environment_overrides_defaults(variable, raw, key, expected):
    assert from_environ({variable: raw})[key] == expected


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("SERVICE_MAX_CONTENT_LENGTH", "lots"),
        ("SERVICE_MAX_CONTENT_LENGTH", "-5"),
        ("SERVICE_DEBUG_ENDPOINTS", "maybe"),
    ],
)
def test_bad_values_are_refused_by_name(variable, raw):
    with pytest.raises(ValueError, match=variable):
        from_environ({variable: raw})


def test_create_app_override_beats_environment(monkeypatch):
    from service import create_app

    monkeypatch.setenv("SERVICE_MAX_CONTENT_LENGTH", "10")
    assert create_app({"MAX_CONTENT_LENGTH": 99}).config["MAX_CONTENT_LENGTH"] == 99
    assert create_app().config["MAX_CONTENT_LENGTH"] == 10


def test_the_secret_key_comes_from_the_variable_or_from_its_file(tmp_path):
    assert from_environ({"SERVICE_SECRET_KEY": "from-env"})["SECRET_KEY"] == "from-env"
    key = tmp_path / "secret_key"
    key.write_text("from-file\n")
    both = {"SERVICE_SECRET_KEY": "from-env", "SERVICE_SECRET_KEY_FILE": str(key)}
    assert from_environ(both)["SECRET_KEY"] == "from-file", "the file (a Docker secret) wins"


def test_an_unreadable_secret_key_file_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match=r"SERVICE_SECRET_KEY_FILE=.*cannot be read"):
        from_environ({"SERVICE_SECRET_KEY_FILE": str(tmp_path / "missing")})


def test_the_app_gets_the_key(tmp_path, monkeypatch):
    from service import create_app

    key = tmp_path / "secret_key"
    key.write_text("s3cret")
    monkeypatch.setenv("SERVICE_SECRET_KEY_FILE", str(key))
    assert create_app().config["SECRET_KEY"] == "s3cret"
