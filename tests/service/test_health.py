from service import create_app


def test_healthz_is_ok_when_the_app_can_serve(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_is_503_during_maintenance(app, client):
    with open(app.config["MAINTENANCE_FILE"], "w"):
        pass
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "maintenance"


def test_version_says_unknown_when_nothing_was_baked_in(client):
    assert client.get("/version").get_json() == {
        "version": "unknown",
        "revision": "unknown",
        "build_date": "unknown",
    }


def test_version_reports_the_build_information(monkeypatch):
    monkeypatch.setenv("SERVICE_VERSION", "1.2.3")
    monkeypatch.setenv("SERVICE_REVISION", "0123456789abcdef")
    monkeypatch.setenv("SERVICE_BUILD_DATE", "2026-01-02T03:04:05Z")
    body = create_app({"TESTING": True}).test_client().get("/version").get_json()
    assert body == {"version": "1.2.3", "revision": "0123456789abcdef", "build_date": "2026-01-02T03:04:05Z"}
