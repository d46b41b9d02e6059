"""service/metrics.py: what the app records per request, read back from a registry of the test's own.

(In the image the values go to prometheus_client's multiprocess files instead; tests/docker and
tests/container read those.)"""

import json
import random
import threading
import time

import pytest
from prometheus_client import CollectorRegistry, Histogram

from service import create_app, metrics

REQUESTS = "http_server_requests_total"


class Flushed(CollectorRegistry):
    """A registry that flushes the app's tallies before it is read, as the flusher would have."""

    flush = staticmethod(lambda: None)

    def collect(self):
        self.flush()
        return super().collect()


@pytest.fixture
def registry():
    return Flushed()


@pytest.fixture
def app(registry, tmp_path):
    app = create_app({"TESTING": True, "MAINTENANCE_FILE": str(tmp_path / "m"), "DEBUG_ENDPOINTS": True})
    registry.flush = metrics.init_app(app, registry).flush

    @app.get("/items/<int:item_id>")
    def item(item_id):
        return {"id": item_id}

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

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


def test_the_health_check_is_not_traffic(client, registry):
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert "/healthz" not in routes(registry)
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


def test_a_failure_to_write_never_fails_a_request_and_is_logged_once(registry, monkeypatch, capsys):
    def full(*labels):
        raise OSError(28, "No space left on device")  # a metric file that cannot grow

    app = create_app({"TESTING": True})  # its log handler writes to the stderr capsys captures
    recorder = metrics.init_app(app, registry)
    monkeypatch.setattr(recorder.requests, "labels", full)
    client = app.test_client()
    assert [client.get("/test").status_code for _ in range(3)] == [200, 200, 200]
    recorder.flush_or_log()
    client.get("/test")
    recorder.flush_or_log()
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "metrics:" in line]
    assert len(logged) == 1 and "No space left on device" in logged[0]["exception"]


def test_tallies_flushed_say_what_observing_each_request_would_have(registry):
    """The buckets, counts and sums a flush writes are those of prometheus_client's own observe()."""
    recorder = metrics.Metrics(registry)
    reference = CollectorRegistry()
    observed = Histogram("reference_seconds", "one observe() a request", ["method", "route"], buckets=metrics.BUCKETS,
                         registry=reference)  # fmt: skip
    rng = random.Random(7)
    for _ in range(500):
        seconds = rng.choice([*metrics.BUCKETS[:-1], rng.uniform(0, 0.2), 45.0])  # bounds themselves too
        recorder.tally(("GET", metrics.UNMATCHED, "200"), seconds)
        observed.labels("GET", metrics.UNMATCHED).observe(seconds)
    assert registry.get_sample_value(REQUESTS, {"method": "GET", "route": metrics.UNMATCHED, "status": "200"}) is None
    recorder.flush()
    mine = {s.labels.get("le"): s.value for f in registry.collect() for s in f.samples if "_duration_" in s.name}
    theirs = {s.labels.get("le"): s.value for f in reference.collect() for s in f.samples if s.name.endswith("_bucket")}
    assert {le: v for le, v in mine.items() if le is not None} == theirs
    labels = {"method": "GET", "route": metrics.UNMATCHED}
    total = registry.get_sample_value("http_server_request_duration_seconds_sum", labels)
    assert total == pytest.approx(reference.get_sample_value("reference_seconds_sum", labels))
    assert count(registry, "GET", metrics.UNMATCHED, "200") == 500


def test_a_forked_worker_starts_with_nothing_tallied_and_a_flusher_of_its_own(registry):
    recorder = metrics.Metrics(registry)
    recorder.record({"REQUEST_METHOD": "GET"}, "200 OK", time.perf_counter())
    assert recorder._flushing, "the first request starts the flusher"
    recorder.forked()  # as os.register_at_fork calls it in the child
    assert not recorder._flushing and recorder._tallies == {}


def test_a_flush_waits_for_the_one_under_way_so_a_worker_exit_loses_nothing(registry, monkeypatch):
    """The exit's flush must not find the tallies taken by the flusher thread and return before
    they are written: the interpreter's end would freeze that thread with them."""
    recorder = metrics.Metrics(registry)
    recorder._flushing = True  # no flusher thread of its own: this test plays both flushes
    recorder.tally(("GET", "/test", "200"), 0.001)
    writing, go_on = threading.Event(), threading.Event()
    labels = recorder.requests.labels

    def slow_labels(*values):
        writing.set()
        go_on.wait(5)
        return labels(*values)

    monkeypatch.setattr(recorder.requests, "labels", slow_labels)
    thread = threading.Thread(target=recorder.flush)
    thread.start()
    assert writing.wait(5), "the first flush took the tallies and writes them"
    exiting = threading.Thread(target=recorder.flush)
    exiting.start()
    exiting.join(0.3)
    assert exiting.is_alive(), "the exit's flush waits for the one under way"
    go_on.set()
    thread.join(5)
    exiting.join(5)
    assert count(registry, "GET", "/test", "200") == 1
