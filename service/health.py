"""Liveness and build information."""

from __future__ import annotations

import os

from flask import Blueprint, current_app

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    if os.path.exists(current_app.config["MAINTENANCE_FILE"]):
        return {"status": "unavailable", "reason": "maintenance"}, 503
    return {"status": "ok"}, 200


@bp.get("/version")
def version() -> dict[str, str]:
    config = current_app.config
    return {
        "version": config["VERSION"],
        "revision": config["REVISION"],
        "build_date": config["BUILD_DATE"],
    }
