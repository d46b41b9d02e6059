"""service/metrics.py: what the app records per request, read back from a registry of the test's own.

(In the image the values go to prometheus_client's multiprocess files instead; tests/docker and
tests/container read those.)"""

import json

import pytest
from prometheus_client import CollectorRegistry

from service import create_app, metrics

REQUESTS = "http_server_requests_total"


@pytest.fixture
def registry():
    return CollectorRegistry()


@pytest.fixture
def app(registry, tmp_path):
    app = create_app({"TESTING": True, "MAINTENANCE_FILE": str(tmp_path / "m"), "DEBUG_ENDPOINTS": True})
    metrics.init_app(app, registry)

    @app.get("/items/<int:item_id>")
    def item(item_id):
        return {"id": item_id}

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    @app.get("/in-flight")
    def in_flight():
        return {"now": registry.get_sample_value("http_server_requests_in_flight")}

    return app


def count(registry, method, route, status):
    return registry.get_sample_value(REQUESTS, {"method": method, "route": route, "status": status})


def routes(registry):
    return {
        sample.labels["route"]
        for family in registry.collect()
        if family.name == "http_server_requests"
        for sample in family.samples
    }


def test_each_request_is_counted_once_by_method_route_and_exact_status(client, registry):
    for _ in range(7):
        assert client.get("/test").status_code == 200
    client.post("/test", json={"a": 1})
    assert count(registry, "GET", "/test", "200") == 7
    assert count(registry, "POST", "/test", "200") == 1


def test_the_route_is_the_url_rule_never_the_path(client, registry):
    client.get("/items/42")
    client.get("/items/7")
    assert count(registry, "GET", "/items/<int:item_id>", "200") == 2
    assert not any("42" in route or "7" in route for route in routes(registry))


def test_every_unmatched_path_shares_one_route_label(client, registry):
    for path in ("/nope", "/a/b/c", "/items/not-a-number", "/" + "x" * 300):
        assert client.get(path).status_code == 404
    assert count(registry, "GET", metrics.UNMATCHED, "404") == 4
    assert routes(registry) == {metrics.UNMATCHED}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/test", b"{not json", "400"),
        ("POST", "/test", None, "415"),
        ("DELETE", "/test", None, "405"),
        ("GET", "/boom", None, "500"),
    ],
)
def test_the_status_is_the_exact_code_not_a_class(client, registry, method, path, body, status):
    headers = {"Content-Type": "application/json"} if body else {}
    assert client.open(path, method=method, data=body, headers=headers).status_code == int(status)
    route = "/test" if status in {"400", "415"} else ("/boom" if status == "500" else metrics.UNMATCHED)
    assert count(registry, method, route, status) == 1


def test_an_unknown_method_does_not_become_a_label(client, registry):
    client.open("/test", method="BREW")
    client.open("/test", method="WHATEVER")
    assert count(registry, metrics.OTHER_METHOD, metrics.UNMATCHED, "405") == 2


def test_requests_in_flight_is_one_during_a_request_and_back_to_zero_after(client, registry):
    assert client.get("/in-flight").get_json() == {"now": 1.0}
    client.get("/boom")
    client.get("/nope")
    assert registry.get_sample_value("http_server_requests_in_flight") == 0


def test_the_health_check_is_not_traffic(client, registry):
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert "/healthz" not in routes(registry)
    assert registry.get_sample_value("http_server_requests_in_flight") == 0
    client.get("/test")
    assert routes(registry) == {"/test"}, "the same registry counts traffic"


def test_latency_is_in_seconds_in_buckets_that_resolve_milliseconds(client, registry):
    client.get("/debug/sleep?seconds=0.01")
    labels = {"method": "GET", "route": "/debug/sleep"}

    def bucket(le):
        return registry.get_sample_value("http_server_request_duration_seconds_bucket", {**labels, "le": le})

    assert bucket("0.0075") == 0 and bucket("0.05") == 1
    assert registry.get_sample_value("http_server_request_duration_seconds_count", labels) == 1
    assert 0.01 <= registry.get_sample_value("http_server_request_duration_seconds_sum", labels) < 1
    bounds = [b for b in metrics.BUCKETS if b != float("inf")]
    assert sum(0.001 <= b <= 0.05 for b in bounds) >= 8, "1-50 ms, where this app's requests fall, finely"


def test_build_info_names_the_version_and_revision(registry):
    app = create_app({"TESTING": True, "VERSION": "1.2.3", "REVISION": "abc123"})
    metrics.init_app(app, registry)
    assert registry.get_sample_value("flask_service_build_info", {"version": "1.2.3", "revision": "abc123"}) == 1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, False), ({"PROMETHEUS_MULTIPROC_DIR": ""}, False), ({"PROMETHEUS_MULTIPROC_DIR": "/dev/shm/x"}, True)],
)
def test_metrics_are_recorded_only_when_the_multiprocess_directory_is_set(environ, expected):
    assert metrics.enabled(environ) is expected


def test_without_the_directory_the_app_records_nothing(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setattr(metrics, "Metrics", lambda *args, **kwargs: pytest.fail("metrics were set up"))
    app = create_app({"TESTING": True})
    assert "metrics" not in app.extensions
    assert app.test_client().get("/test").status_code == 200


def test_the_directory_turns_recording_on(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    made: list[object] = []
    monkeypatch.setattr(metrics, "init_app", made.append)
    app = create_app({"TESTING": True})
    assert made == [app]


def test_a_failure_to_record_never_fails_the_request_and_is_logged_once(registry, monkeypatch, capsys):
    def full(*labels):
        raise OSError(28, "No space left on device")  # a metric file that cannot grow

    app = create_app({"TESTING": True})  # its log handler writes to the stderr capsys captures
    monkeypatch.setattr(metrics.init_app(app, registry).requests, "labels", full)
    client = app.test_client()
    assert [client.get("/test").status_code for _ in range(3)] == [200, 200, 200]
    assert registry.get_sample_value("http_server_requests_in_flight") == 0
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "metrics:" in line]
    assert len(logged) == 1 and "No space left on device" in logged[0]["exception"]
