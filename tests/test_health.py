"""/healthz: what a load balancer asks before sending a worker traffic."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from outreach import health


def test_a_worker_with_its_database_is_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured"}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.getlist("Set-Cookie") == []


def test_without_its_database_a_worker_is_unavailable(client, monkeypatch):
    def broken() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(health, "_ask_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["database"] == "unreachable"
    assert "refused" not in response.get_data(as_text=True)  # nothing of the error leaks


def test_redis_is_reported_but_does_not_take_the_worker_out(app, client):
    app.config["CACHE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["redis"] == "unreachable"


def test_a_redis_that_answers_is_reported(app, client):
    app.config["CACHE_URL"] = "redis://127.0.0.1:6379/0"
    assert client.get("/healthz").json["redis"] == "ok"


def test_health_checks_are_not_rate_limited(app, client):
    for _ in range(50):
        assert client.get("/healthz").status_code == 200
