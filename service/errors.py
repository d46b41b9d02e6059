"""Every error leaves as JSON with its status and the request's id; a 500 never carries a traceback."""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException, InternalServerError

from service import request_id


def _http_error(error: HTTPException) -> tuple[dict[str, object], int]:
    status = error.code or 500
    body = {"status": status, "name": error.name, "message": error.description, "request_id": request_id.current()}
    return {"error": body}, status


def _unexpected_error(error: Exception) -> tuple[dict[str, object], int]:
    # The traceback goes to the log (folded into one line, see service.logs), never to the client.
    current_app.logger.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return _http_error(InternalServerError())


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
