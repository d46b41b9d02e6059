"""Settings: defaults, overridden by ``SERVICE_*`` environment variables (and a secret key file)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Largest request body accepted, in bytes; larger ones get 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # While this file exists, /healthz answers 503 so the instance is taken out of rotation.
    "MAINTENANCE_FILE": "/tmp/maintenance",
    # Test-only routes (a deliberately slow path); never on in production.
    "DEBUG_ENDPOINTS": False,
    # Build information baked into the image; "unknown" when it was not given.
    "VERSION": "unknown",
    "REVISION": "unknown",
    "BUILD_DATE": "unknown",
    "LOG_LEVEL": "INFO",
    # Flask's key for signing (sessions, tokens); empty: the app signs nothing. Give it as
    # SERVICE_SECRET_KEY, or as a file named by SERVICE_SECRET_KEY_FILE (a Docker secret).
    "SECRET_KEY": "",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _convert(key: str, raw: str) -> Any:
    default = DEFAULTS[key]
    if isinstance(default, bool):
        value = raw.strip().lower()
        if value in _TRUE | _FALSE:
            return value in _TRUE
        raise ValueError(f"SERVICE_{key}={raw!r} is not a boolean; use 1/0, true/false")
    if isinstance(default, int):
        try:
            number = int(raw)
        except ValueError:
            number = -1
        if number <= 0:
            raise ValueError(f"SERVICE_{key}={raw!r} is not a positive whole number")
        return number
    return raw


def from_environ(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults with every ``SERVICE_<KEY>`` variable that is set applied over them."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        raw = environ.get(f"SERVICE_{key}")
        if raw is not None:
            settings[key] = _convert(key, raw)
    secret_file = environ.get("SERVICE_SECRET_KEY_FILE")
    if secret_file:
        try:
            settings["SECRET_KEY"] = Path(secret_file).read_text().strip()
        except OSError as error:
            raise ValueError(f"SERVICE_SECRET_KEY_FILE={secret_file!r} cannot be read: {error.strerror}") from None
    return settings
