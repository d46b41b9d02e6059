"""The Flask service shipped in this repository's image."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service import api, errors, health, logs, metrics, request_id
from service.config import from_environ


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (what tests pass in)."""
    app = Flask(__name__)
    app.config.from_mapping(from_environ())
    if config:
        app.config.from_mapping(config)

    logs.configure(app)
    errors.register(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    if app.config["DEBUG_ENDPOINTS"]:
        app.register_blueprint(api.debug_bp)
    # WSGI middleware, outermost last: the request's id is chosen before anything else runs.
    if metrics.enabled():
        metrics.init_app(app)
    app.wsgi_app = request_id.middleware(app.wsgi_app)  # type: ignore[method-assign,assignment]
    return app
