import json

import pytest

from service import create_app


def test_get_answers_the_tutorials_text(client):
    response = client.get("/test")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "test_endpoint_get"


@pytest.mark.parametrize("payload", [{"a": 1}, [1, "two", None], "text", 3.5, {"nested": {"list": []}}])
def test_post_echoes_json(client, payload):
    response = client.post("/test", json=payload)
    assert response.status_code == 200
    assert response.get_json() == {"endpoint": "test_endpoint_post", "received": payload}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b"", "application/json", 400),
        (b'{"a": 1}', "text/plain", 415),
        (b'{"a": 1}', None, 415),
    ],
)
def test_post_rejects_what_is_not_json(client, body, content_type, status):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/test", data=body, headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"]["status"] == status


def test_post_over_the_size_limit_is_413(client):
    body = json.dumps({"blob": "x" * 2048})
    response = client.post("/test", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["name"] == "Request Entity Too Large"


def test_debug_routes_are_absent_unless_enabled(client):
    assert client.get("/debug/sleep?seconds=0").status_code == 404


@pytest.fixture
def debug_client():
    return create_app({"TESTING": True, "DEBUG_ENDPOINTS": True}).test_client()


def test_sleep_route_sleeps_when_enabled(debug_client):
    response = debug_client.get("/debug/sleep?seconds=0.01")
    assert response.status_code == 200
    assert response.get_json() == {"slept": 0.01}


@pytest.mark.parametrize("seconds", ["-1", "601", "abc"])
def test_sleep_route_refuses_bad_durations(debug_client, seconds):
    response = debug_client.get(f"/debug/sleep?seconds={seconds}")
    assert response.status_code == 400
