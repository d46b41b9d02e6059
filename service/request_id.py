"""Request IDs: one id per request, from the edge to the replica's logs and back to the client.

The edge (nginx) sends ``X-Request-ID``; a request that comes without one, or with one that is not
up to 128 printable ASCII characters, gets a fresh one (32 hex digits, as nginx's
``$request_id``). The id is kept in the WSGI environ under ``ENVIRON_KEY``, where the server's
access line (docker/gunicorn_logs.py) finds it in the same dict, and it goes back to the client
as the ``X-Request-ID`` response header.

A WSGI middleware around the app rather than Flask hooks: it runs for every request, error or
not, with the environ in hand (no context lookups), and adds the header as the response starts.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import has_request_context, request

HEADER = "X-Request-ID"
# Where the chosen id lives in the WSGI environ (PEP 3333: an application's own key, with a dot).
ENVIRON_KEY = "service.request_id"
MAX_LENGTH = 128
_INCOMING = "HTTP_X_REQUEST_ID"


def choose(incoming: str | None) -> str:
    """``incoming`` as sent when it is 1 to 128 printable ASCII characters; a fresh id otherwise."""
    if incoming and len(incoming) <= MAX_LENGTH and incoming.isascii() and incoming.isprintable():
        return incoming
    return secrets.token_hex(16)


def current() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return request.environ.get(ENVIRON_KEY) if has_request_context() else None


def middleware(wsgi_app: WSGIApplication) -> WSGIApplication:
    """``wsgi_app`` with each request's id chosen first and sent back in the response's headers."""

    def identified(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        rid = environ[ENVIRON_KEY] = choose(environ.get(_INCOMING))

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((HEADER, rid))
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return identified
