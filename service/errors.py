"""Every error leaves as JSON with its status; a 500 never carries a traceback."""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import HTTPException, InternalServerError


def _http_error(error: HTTPException) -> tuple[dict[str, object], int]:
    status = error.code or 500
    return {"error": {"status": status, "name": error.name, "message": error.description}}, status


def _unexpected_error(error: Exception) -> tuple[dict[str, object], int]:
    # Flask has already logged the exception with its traceback (one line, see service.logs).
    return _http_error(InternalServerError())


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
