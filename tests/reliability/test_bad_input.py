"""Hostile and malformed HTTP against the real server: never a 5xx, never a traceback."""

import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.engine import http


def raw(service, payload: bytes) -> bytes:
    """Send bytes as they are (no client library to tidy them up) and read the whole answer."""
    parts = urlsplit(service.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(payload)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("name", "body", "content_type", "status"),
    [
        ("malformed json", b'{"a": ', "application/json", 400),
        ("not utf-8", b"\xff\xfe\xfa\x00", "application/json", 400),
        ("wrong content type", b'{"a": 1}', "text/plain", 415),
        ("form instead of json", b"a=1&b=2", "application/x-www-form-urlencoded", 415),
    ],
)
def test_bad_bodies_get_a_4xx_json_answer(service, name, body, content_type, status):
    answer = http("POST", f"{service.url}/test", body, {"Content-Type": content_type})
    assert answer.status == status, name
    assert answer.json()["error"]["status"] == status
    assert "Traceback" not in answer.text


def test_an_oversized_body_is_413(service):
    body = json.dumps({"blob": "x" * (2 * 1024 * 1024)}).encode()
    answer = raw(
        service,
        b"POST /test HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body,
    )
    assert status_of(answer) == 413


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nope", 404), ("DELETE", "/test", 405), ("PATCH", "/healthz", 405), ("BREW", "/test", 405)],
)
def test_unknown_paths_and_methods(service, method, path, status):
    answer = http(method, f"{service.url}{path}")
    assert answer.status == status
    assert answer.json()["error"]["status"] == status


@pytest.mark.parametrize(
    ("name", "request_bytes", "status"),
    [
        ("very long url", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("very long header", b"GET /test HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", 431),
        (
            "too many headers",
            b"GET /test HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(300)) + b"\r\n",
            431,
        ),
        ("non-utf-8 path", b"GET /\xff\xfe\xc3( HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("non-utf-8 header", b"GET /test HTTP/1.1\r\nHost: x\r\nX-Bin: \xff\xfe\r\n\r\n", 200),
        ("garbage request line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
        # gunicorn closes the connection on a length it cannot read, without an answer: never a 5xx.
        ("bad content-length", b"POST /test HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n", None),
    ],
)
def test_malformed_requests_get_their_4xx_never_a_5xx(service, name, request_bytes, status):
    answer = raw(service, request_bytes)
    if status is None:
        assert answer == b"", name
    else:
        assert status_of(answer) == status, name
        assert b"Traceback" not in answer


def test_no_header_injection_through_the_path(service):
    answer = raw(service, b"GET /test%0d%0aSet-Cookie:%20evil=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert b"set-cookie" not in head
    assert status_of(answer) == 404


def test_the_service_is_still_healthy_after_all_that(service):
    assert http("GET", f"{service.url}/healthz").status == 200


@pytest.mark.parametrize("path", [b"//evil.example/x", b"//.", b"//evil.example/%2e%2e", b"/\\evil.example"])
def test_network_path_references_do_not_redirect_off_site(service, path):
    answer = raw(service, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert status_of(answer) < 500
    assert b"location:" not in head
