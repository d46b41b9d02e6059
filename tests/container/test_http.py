"""The tutorial's contract and the service's endpoints, over real HTTP to a real container."""

import json

from tests.engine import http
from tooling.engine.git import metadata


def test_get_test_answers_the_tutorials_text(service):
    response = http("GET", f"{service.url}/test")
    assert response.status == 200
    assert response.text == "test_endpoint_get"


def test_post_test_echoes_json(service):
    payload = {"name": "smoke", "items": [1, 2, 3]}
    response = http("POST", f"{service.url}/test", json.dumps(payload).encode(), {"Content-Type": "application/json"})
    assert response.status == 200
    assert response.json() == {"endpoint": "test_endpoint_post", "received": payload}


def test_healthz_is_200(service):
    response = http("GET", f"{service.url}/healthz")
    assert response.status == 200
    assert response.json() == {"status": "ok"}


def test_an_unknown_path_is_a_json_404(service):
    response = http("GET", f"{service.url}/no/such/path")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["status"] == 404


def test_version_reports_what_was_baked_in(service):
    body = http("GET", f"{service.url}/version").json()
    meta = metadata()
    assert body["version"] == meta.version
    assert body["revision"].removesuffix("-dirty") == meta.revision.removesuffix("-dirty")
    assert body["build_date"].endswith("Z")
