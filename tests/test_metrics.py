"""/metrics: what Prometheus scrapes, for the addresses allowed to, in its text format.

The counts live in this process and grow over the whole run, so each test compares a figure
before and after what it does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from outreach import create_app
from outreach.database import db
from outreach.messages.models import MessageStatus
from outreach.metrics import exporter
from tests.messages_support import outbox
from tests.serverproc import ServerProcess
from tests.web import login, post_form

TOKEN = "Zx9" + "q" * 29  # shaped like a manage token
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    """Every sample of one scrape, keyed by (name, sorted labels)."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def requests_of(samples, route: str, status: str = "2xx", method: str = "GET") -> float:
    labels = {"route": route, "method": method, "status": status}
    return value(samples, "outreach_http_requests_total", **labels)


def test_a_scrape_is_the_prometheus_text_format_uncached_without_a_cookie(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.getlist("Set-Cookie") == []
    names = {f.name for f in text_string_to_metric_families(response.get_data(as_text=True))}
    assert {
        "outreach_http_requests",
        "outreach_http_request_duration_seconds",
        "outreach_outbox_messages",
        "outreach_database_up",
    } <= names


def test_requests_are_counted_and_timed_by_route_method_and_status_class(client):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/").status_code == 200
    client.get("/no/such/page")
    after = scrape(client)
    assert requests_of(after, "/") - requests_of(before, "/") == 3
    count = "outreach_http_request_duration_seconds_count"
    labels = {"route": "/", "method": "GET", "status": "2xx"}
    assert value(after, count, **labels) - value(before, count, **labels) == 3
    assert value(after, "outreach_http_request_duration_seconds_sum", **labels) > value(
        before, "outreach_http_request_duration_seconds_sum", **labels
    )
    assert requests_of(after, "<unmatched>", "4xx") - requests_of(before, "<unmatched>", "4xx") == 1


def test_routes_are_rules_never_the_addresses_with_their_tokens(client):
    before = scrape(client)
    for address in (f"/r/{TOKEN}", f"/feeds/me/{TOKEN}.ics", f"/subscribe/me/{TOKEN}"):
        assert client.get(address).status_code == 404  # no such registration
    client.open("/", method="BREW")  # a method nobody serves
    response = client.get("/metrics")
    text = response.get_data(as_text=True)
    assert TOKEN not in text and "BREW" not in text
    after = scrape(client)
    for rule in ("/r/<token>", "/feeds/me/<token>.ics", "/subscribe/me/<token>"):
        assert requests_of(after, rule, "4xx") - requests_of(before, rule, "4xx") == 1
    unserved = ("<unmatched>", "4xx", "other")  # 405: no rule matched the method
    assert requests_of(after, *unserved) - requests_of(before, *unserved) == 1


def test_registrations_are_counted_by_who_made_them_and_their_status(client, make):
    event = make.event()
    event_session = make.event_session(event, capacity=2)
    created = "outreach_registrations_created_total"
    before = scrape(client)
    for phone in ("13800138000", "13900139000"):
        payload = {"name": "刘阿姨", "phone": phone, "party_size": 1, "consent": True}
        response = client.post(f"/api/v1/sessions/{event_session.id}/registrations", json=payload)
        assert response.status_code == 201
    login(client, make.staff(organisation=event.organisation, role="checker"))
    walk_in = {
        "walkin-name": "李大爷",
        "walkin-phone": "139 1000 2000",
        "walkin-party_size": "1",
        "walkin-consent": "y",
    }
    response = post_form(client, f"/staff/sessions/{event_session.id}/walk-in", walk_in)
    assert response.status_code == 302
    refused = {"name": "王", "phone": "13800138000", "party_size": 1, "consent": True}
    again = client.post(f"/api/v1/sessions/{event_session.id}/registrations", json=refused)
    assert again.status_code >= 400  # the same phone twice: refused, not counted
    after = scrape(client)

    def made(by: str, status: str) -> float:
        return value(after, created, by=by, status=status) - value(
            before, created, by=by, status=status
        )

    assert made("resident", "confirmed") == 2
    assert made("staff", "waitlisted") == 1  # the two seats were taken
    assert made("resident", "waitlisted") == made("staff", "confirmed") == 0


def test_only_committed_registrations_are_counted(client, make):
    created = "outreach_registrations_created_total"
    labels = {"by": "resident", "status": "confirmed"}
    before = value(scrape(client), created, **labels)
    make.registration(make.event_session(capacity=5))
    db.session.rollback()  # made and signalled, never committed
    event_session = make.event_session(capacity=5)
    savepoint = db.session.begin_nested()  # as the desk's offline sync does for each entry
    make.registration(event_session)
    savepoint.rollback()
    make.registration(event_session)
    db.session.commit()
    assert value(scrape(client), created, **labels) - before == 1


@pytest.mark.parametrize(("kind", "path"), [("feed", "/feeds/all.ics"), ("page", "/")])
def test_cache_hits_and_misses_are_counted_by_kind(client, make, kind, path):
    make.event_session()
    lookups = "outreach_cache_lookups_total"
    before = scrape(client)
    for _ in range(3):
        assert client.get(path).status_code == 200
    after = scrape(client)

    def moved(of_kind: str, result: str) -> float:
        return value(after, lookups, kind=of_kind, result=result) - value(
            before, lookups, kind=of_kind, result=result
        )

    hits, misses = moved(kind, "hit"), moved(kind, "miss")
    assert hits + misses == 3
    assert hits >= 2  # built once at most, then found
    other = "page" if kind == "feed" else "feed"
    assert moved(other, "hit") + moved(other, "miss") == 0


def test_the_outbox_is_counted_by_status(client, make):
    event_session = make.event_session(capacity=10)
    for n in range(3):
        make.registration(event_session, email=f"r{n}@example.org")
    messages = outbox()
    assert len(messages) == 3
    messages[0].status = MessageStatus.FAILED
    db.session.flush()
    messages[1].status = MessageStatus.SENT
    db.session.flush()
    samples = scrape(client)
    depth = {
        status: value(samples, "outreach_outbox_messages", status=status)
        for status in ("pending", "sending", "failed")
    }
    assert depth == {"pending": 1, "sending": 0, "failed": 1}
    assert not [key for key in samples if ("status", "sent") in key[1]]  # history: not counted
    assert value(samples, "outreach_database_up") == 1


def test_without_its_database_a_scrape_still_answers(client, monkeypatch):
    def broken():
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(exporter, "count_messages", broken)
    samples = scrape(client)
    assert value(samples, "outreach_database_up") == 0
    assert not [key for key in samples if key[0] == "outreach_outbox_messages"]
    assert [key for key in samples if key[0] == "outreach_http_requests_total"]


@pytest.mark.parametrize(
    "environ",
    [
        OUTSIDE,
        {"REMOTE_ADDR": "10.1.2.3"},
        # A local proxy forwarding someone else: the app trusts no proxy, so cannot tell who.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.9"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": "for=203.0.113.9"},
    ],
)
def test_other_addresses_are_told_there_is_nothing_there(client, environ):
    response = client.get("/metrics", environ_base=environ)
    unknown = client.get("/no-such-page", environ_base=environ)
    assert response.status_code == unknown.status_code == 404
    assert "outreach_" not in response.get_data(as_text=True)


def test_the_allowed_networks_are_configured(app, client):
    app.config["METRICS_ALLOW"] = ("10.0.0.0/8",)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed
    app.config["METRICS_ALLOW"] = ()
    assert client.get("/metrics").status_code == 404


def test_an_ipv6_loopback_scraper_is_allowed_by_default(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_a_wrong_network_is_refused_at_start(database_url):
    with pytest.raises(ValueError):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "METRICS_ALLOW": ("10.0.0.300/8",)})


@pytest.fixture
def behind_proxies(database_url):
    """A client of an app behind `hops` proxies, allowing `allow`; `status(forwarded)`
    is the answer to a scrape through them carrying that X-Forwarded-For."""
    apps = []

    def make(hops: int, allow: tuple[str, ...] = ("192.0.2.0/24",)):
        proxied = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "metrics",
                "PROXY_FIX": hops,
                "METRICS_ALLOW": allow,
            }
        )
        apps.append(proxied)
        client = proxied.test_client()

        def status(forwarded: str | None) -> int:
            headers = {"X-Forwarded-For": forwarded} if forwarded else {}
            nginx = {"REMOTE_ADDR": "127.0.0.1"}
            return client.get("/metrics", environ_base=nginx, headers=headers).status_code

        return client, status

    yield make
    for proxied in apps:
        with proxied.app_context():
            db.engine.dispose()


def test_behind_a_trusted_proxy_the_forwarded_address_decides(behind_proxies):
    client, status = behind_proxies(1)

    assert status("192.0.2.7") == 200  # a monitoring host, as nginx passed it on
    assert status("203.0.113.9") == 404
    # A client's own X-Forwarded-For is not believed: nginx appends the address it saw.
    assert status("192.0.2.7, 203.0.113.9") == 404
    # Asked directly (no proxy, nothing forwarded): the scraper's own address decides.
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 200
    assert status(None) == 404  # 127.0.0.1 is not listed here


def test_behind_two_proxies_a_request_through_only_one_is_refused(behind_proxies):
    # The proxies' own address is listed: a monitoring agent beside them may scrape directly.
    _client, status = behind_proxies(2, ("192.0.2.0/24", "127.0.0.1/32"))
    assert status("192.0.2.7, 10.0.0.2") == 200  # the client, then the first proxy
    # One hop only: the address ProxyFix leaves is a proxy's, not the client's.
    assert status("192.0.2.7") == 404
    assert status("203.0.113.9") == 404
    assert status(None) == 200  # the agent itself


def test_scrapes_are_not_rate_limited_and_not_in_the_api_document(client):
    for _ in range(40):
        assert client.get("/metrics").status_code == 200
    assert "/metrics" not in client.get("/api/v1/openapi.json").get_data(as_text=True)


# Under gunicorn, as scripts/serve runs it (outreach/gunicorn_conf.py), with the hook that
# tells ServerProcess a worker is ready.
GUNICORN_CONFIG = """\
from outreach.gunicorn_conf import *  # noqa: F403
from tests.serverproc import post_worker_init  # noqa: F401
"""


@pytest.fixture
def site(tmp_path):
    """A migrated SQLite database, an instance folder and the production gunicorn settings."""
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "metrics"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    config = tmp_path / "gunicorn_metrics_conf.py"
    config.write_text(GUNICORN_CONFIG)
    return url, tmp_path / "instance", config


def served_by(server: ServerProcess, path: str) -> set[int]:
    return {pid for pid, line, _status in server.requests_served() if f" {path} " in line}


def healthz_count(server: ServerProcess) -> float:
    with urllib.request.urlopen(server.url + "/metrics") as response:
        text = response.read().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return sum(
        sample.value
        for family in families.values()
        for sample in family.samples
        if sample.name == "outreach_http_requests_total"
        and sample.labels["route"] == "/healthz"
        and sample.labels["status"] == "2xx"
    )


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_importing_outreach_leaves_prometheus_client_for_the_workers():
    """gunicorn's master imports outreach before it names the shared folder; prometheus_client
    reads that name once, when imported, so only building the app may import it."""
    code = "import sys, outreach; print('prometheus_client' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"


@pytest.mark.commits
def test_a_scrape_adds_up_every_gunicorn_worker_even_one_that_died(site, tmp_path):
    url, instance, config = site
    temporary = tmp_path / "tmp"  # where the master makes its metrics folder
    temporary.mkdir()
    environment = {"TMPDIR": str(temporary)}
    with ServerProcess(url, instance, workers=2, config=config, env=environment) as server:
        [folder] = temporary.glob("outreach-metrics-*")
        asked = 0
        # New connections until both workers have answered some (each writes its access line
        # after its answer).
        while len(served_by(server, "/healthz")) < 2:
            urllib.request.urlopen(server.url + "/healthz").read()
            asked += 1
            assert asked < 1000, "one worker answered everything"
            if asked % 10 == 0:
                time.sleep(0.1)
        assert healthz_count(server) == asked
        # A worker killed outright: the master starts another, and the dead one's counts stay.
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(list(server.ready_dir.iterdir())) == 3, "a new worker")
        for _ in range(4):  # whichever worker answers, the total is the same
            assert healthz_count(server) == asked
        assert list(folder.glob("*.db"))
    assert not folder.exists()  # removed by the master as it stopped


@pytest.mark.commits
def test_a_restarted_server_counts_afresh(site, tmp_path):
    url, instance, config = site
    folder = tmp_path / "metrics"  # named by the operator: emptied at each start
    environment = {"PROMETHEUS_MULTIPROC_DIR": str(folder)}
    with ServerProcess(url, instance, workers=2, config=config, env=environment) as server:
        for _ in range(3):
            urllib.request.urlopen(server.url + "/healthz").read()
        assert healthz_count(server) == 3
    assert list(folder.glob("*.db"))  # the workers wrote there
    with ServerProcess(url, instance, workers=2, config=config, env=environment) as server:
        assert healthz_count(server) == 0
