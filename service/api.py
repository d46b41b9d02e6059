"""The service's endpoints: the tutorial's ``/test`` contract."""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort, current_app, request

bp = Blueprint("api", __name__)


@bp.get("/test")
def test_get() -> Response:
    return Response("test_endpoint_get", mimetype="text/plain")


@bp.post("/test")
def test_post() -> dict[str, object]:
    # get_json answers 415 for another content type and 400 for a body that is not JSON.
    return {"endpoint": "test_endpoint_post", "received": request.get_json()}


# Registered only when SERVICE_DEBUG_ENDPOINTS is on: the reliability tests need a request that
# takes a known time, to watch a graceful stop or a worker timeout.
debug_bp = Blueprint("debug", __name__, url_prefix="/debug")

MAX_SLEEP_SECONDS = 600.0


@debug_bp.get("/sleep")
def sleep() -> dict[str, object]:
    try:
        seconds = float(request.args.get("seconds", "1"))
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_SLEEP_SECONDS:
        abort(400, description=f"seconds must be a number from 0 to {MAX_SLEEP_SECONDS:g}")
    current_app.logger.info("sleeping for %gs", seconds)  # a test waits for this line, not for time
    time.sleep(seconds)
    return {"slept": seconds}
