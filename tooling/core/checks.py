"""One setting's value, checked: each check takes where the value came from (a flag or a setting,
as settings.py names it) and the value; it returns the value parsed, or raises one line that says
what is wrong and what to give instead."""

from __future__ import annotations

import ipaddress
import re

from tooling.core.errors import ToolError

NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
ACCESS_LOG = re.compile(r"^(auto|json|text|off)$")
RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:[0-9]+)?)$")
# ssh://[user@]host[:port], tcp://host:port, unix:///path, or a Docker context's name.
MANAGER = re.compile(r"^((ssh|tcp)://[^\s/]+/?|unix:///\S+|[a-zA-Z0-9][a-zA-Z0-9_.+-]*)?$")
# host[:port] and an optional path: 127.0.0.1:5001/team, ghcr.io/acme, registry.example
OPTIONAL_REGISTRY = re.compile(r"^([a-zA-Z0-9.-]+(:[0-9]{1,5})?(/[a-z0-9._-]+)*)?$")


def port(where: str, value: object) -> int:
    """A host port: a whole number from 0 (any free port) to 65535."""
    given = str(value).strip()
    if not given.isdigit() or not 0 <= int(given) <= 65535:
        raise ToolError(f"{where}: {value!r} is not a port; give a number from 1 to 65535, or 0 for any free port")
    return int(given)


def address(where: str, value: object) -> str:
    """An IP address the engine can publish on (Docker takes no host names there)."""
    try:
        return str(ipaddress.ip_address(str(value).strip().strip("[]")))
    except ValueError:
        raise ToolError(
            f"{where}: {value!r} is not an IP address; give one such as 127.0.0.1 (this machine only) "
            "or 0.0.0.0 (every interface)"
        ) from None


def count(where: str, value: object, lowest: int, highest: int, what: str) -> int:
    given = str(value).strip()
    if not given.isdigit() or not lowest <= int(given) <= highest:
        raise ToolError(f"{where}: {value!r} is not {what} from {lowest} to {highest}")
    return int(given)


def ratio(where: str, value: object) -> float:
    try:
        found = float(str(value).strip())
    except ValueError:
        found = -1.0
    if not 0 <= found < 1:
        raise ToolError(f"{where}: {value!r} is not a ratio from 0 to below 1, such as 0.01 for 1%")
    return found


def seconds(where: str, value: object) -> int:
    given = str(value).strip()
    if not given.isdigit() or int(given) == 0:
        raise ToolError(f"{where}: {value!r} is not a whole number of seconds above 0")
    return int(given)


def text(where: str, value: object, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(value, str) or (pattern and not pattern.match(value)):
        raise ToolError(f"{where}: {value!r} is not a valid value; see docs/configuration.md")
    return value


def manager(where: str, value: object) -> str:
    given = str(value).strip()
    if not MANAGER.match(given):
        scheme = given.split("://", 1)[0] if "://" in given else ""
        what = f"its scheme {scheme}:// is not one Docker speaks here" if scheme else "it is not a context name"
        raise ToolError(
            f"{where}: {value!r}: {what}; give ssh://[user@]host[:port], tcp://host:port, or a Docker context's name"
        )
    return given


def flag(where: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ToolError(f"{where}: {value!r} is not true or false")
