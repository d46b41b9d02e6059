"""Request IDs: one id per request, from the edge to the replica's logs and back to the client.

The edge (nginx) sends ``X-Request-ID``; a request that comes without one, or with one that is not
up to 128 printable ASCII characters, gets a fresh one (32 hex digits, as nginx's
``$request_id``). The id is kept in the WSGI environ under ``ENVIRON_KEY``, where the server's
access line (docker/gunicorn_logs.py) finds it in the same dict, and it goes back to the client
as the ``X-Request-ID`` response header.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, has_request_context, request

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


def of(environ: dict[str, Any]) -> str:
    """The request's id, chosen on first use and the same for the rest of the request."""
    found = environ.get(ENVIRON_KEY)
    if found is None:
        found = environ[ENVIRON_KEY] = choose(environ.get(_INCOMING))
    return found


def current() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return of(request.environ) if has_request_context() else None


def _send(response: Response) -> Response:
    response.headers[HEADER] = of(request.environ)
    return response


def init_app(app: Flask) -> None:
    # One hook: every response passes it, error responses included, and whatever asked for the id
    # earlier in the request (an error handler, a log line) got the same one.
    app.after_request(_send)
