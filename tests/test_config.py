"""Configuration layers: defaults, then instance/config.py, then OUTREACH_* variables."""

from __future__ import annotations

import stat

import pytest
from flask.cli import FlaskGroup

from outreach import create_app
from outreach.config import ENVIRONMENT
from outreach.events.models import new_session_uid, uid_domain


@pytest.fixture(autouse=True)
def instance_path(tmp_path, monkeypatch):
    """A private instance folder, and no OUTREACH_* settings from the caller's environment."""
    for suffix in ENVIRONMENT:
        monkeypatch.delenv(f"OUTREACH_{suffix}", raising=False)
    path = tmp_path / "instance"
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(path))
    return path


def test_defaults_use_sqlite_in_the_instance_folder_and_shanghai_time(instance_path):
    app = create_app()
    assert app.instance_path == str(instance_path)
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance_path / 'outreach.sqlite3'}"
    )
    assert app.config["TIMEZONE"] == "Asia/Shanghai"
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgresql_database_url_selects_the_psycopg_driver(monkeypatch, scheme):
    monkeypatch.setenv("OUTREACH_DATABASE_URL", f"{scheme}://outreach:pw@db.example:5432/outreach")
    app = create_app()
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"]
        == "postgresql+psycopg://outreach:pw@db.example:5432/outreach"
    )


def test_database_url_with_an_explicit_driver_is_kept(monkeypatch):
    monkeypatch.setenv("OUTREACH_DATABASE_URL", "sqlite:////srv/outreach/data.sqlite3")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/outreach/data.sqlite3"


def test_secret_key_comes_from_the_environment_when_set(monkeypatch, instance_path):
    monkeypatch.setenv("OUTREACH_SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"
    assert not (instance_path / "secret_key").exists()


def test_without_a_secret_key_one_is_generated_into_the_instance_folder_and_reused(
    instance_path,
):
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert len(first) >= 64
    assert (instance_path / "secret_key").read_text().strip() == first
    assert second == first


def test_generated_secret_key_file_is_readable_by_its_owner_only(instance_path):
    create_app()
    mode = stat.S_IMODE((instance_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_timezone_and_uid_domain_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("OUTREACH_TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("OUTREACH_UID_DOMAIN", "events.example.cn")
    app = create_app()
    assert app.config["TIMEZONE"] == "Asia/Urumqi"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Urumqi"
    assert app.config["UID_DOMAIN"] == "events.example.cn"


def test_typed_variables_are_converted(monkeypatch):
    monkeypatch.setenv("OUTREACH_PER_PAGE", "12")
    monkeypatch.setenv("OUTREACH_SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("OUTREACH_FEED_VERSION_TTL", "2.5")
    monkeypatch.setenv("OUTREACH_BENCH_ROUTES", "false")
    app = create_app()
    assert app.config["PER_PAGE"] == 12
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["FEED_VERSION_TTL"] == 2.5
    assert app.config["BENCH_ROUTES"] is False
    assert "bench_baseline" not in app.blueprints  # never served unless asked for


def test_instance_config_file_overrides_defaults_and_environment_overrides_it(
    monkeypatch, instance_path
):
    instance_path.mkdir()
    (instance_path / "config.py").write_text(
        'TIMEZONE = "Europe/London"\nUID_DOMAIN = "file.example"\nPER_PAGE = 5\n'
    )
    monkeypatch.setenv("OUTREACH_TIMEZONE", "Asia/Hong_Kong")
    app = create_app()
    assert app.config["TIMEZONE"] == "Asia/Hong_Kong"
    assert app.config["UID_DOMAIN"] == "file.example"
    assert app.config["PER_PAGE"] == 5


def test_flask_cli_offers_the_seed_demo_and_db_commands():
    runner = create_app().test_cli_runner()
    # FlaskGroup, unlike app.cli alone, also loads plugin commands such as Flask-Migrate's db.
    cli = FlaskGroup()
    for command in ("seed-demo", "db"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0, result.output
    assert "upgrade" in runner.invoke(cli, ["db", "--help"]).output


def test_calendar_uids_take_the_public_address_never_a_forged_host(app, monkeypatch):
    """Without UID_DOMAIN, a new session's UID names BASE_URL's host: a request's Host
    header is the client's to choose, and UIDs are never changed once given."""
    monkeypatch.setitem(app.config, "UID_DOMAIN", None)
    monkeypatch.setitem(app.config, "BASE_URL", "https://events.example.cn/")
    with app.test_request_context("/", headers={"Host": "evil.example.net"}):
        assert uid_domain() == "events.example.cn"
        assert new_session_uid().endswith("@events.example.cn")
    monkeypatch.setitem(app.config, "BASE_URL", None)
    with app.test_request_context("/", headers={"Host": "dev.local:5000"}):
        assert uid_domain() == "dev.local"  # development: nothing configured


def test_production_without_a_base_url_warns_loudly_at_start_up(caplog):
    """Not DEBUG, TESTING or OUTREACH_DEVELOPMENT means production: a missing public address
    is a warning at start-up; with it, or in development, there is none."""
    create_app()
    [warning] = [r for r in caplog.records if "OUTREACH_BASE_URL" in r.getMessage()]
    assert warning.levelname == "WARNING"
    caplog.clear()
    create_app({"BASE_URL": "https://events.example.cn"})
    create_app({"DEVELOPMENT": True})
    create_app({"TESTING": True})
    assert not [r for r in caplog.records if "OUTREACH_BASE_URL" in r.getMessage()]


def test_trusted_hosts_follow_the_base_url_and_the_extra_hosts(monkeypatch):
    assert create_app().config["TRUSTED_HOSTS"] is None  # development hosts keep working
    monkeypatch.setenv("OUTREACH_BASE_URL", "https://events.example.cn/")
    monkeypatch.setenv("OUTREACH_TRUSTED_HOSTS", "10.0.0.5, staff.internal")
    app = create_app()
    assert app.config["TRUSTED_HOSTS"] == ["events.example.cn", "10.0.0.5", "staff.internal"]
    assert app.test_client().get("/", base_url="http://evil.example").status_code == 400


def test_proxy_fix_trusts_the_forwarded_address_and_scheme_never_the_host(monkeypatch):
    monkeypatch.setenv("OUTREACH_PROXY_FIX", "1")
    proxy = create_app().wsgi_app
    assert (proxy.x_for, proxy.x_proto, proxy.x_host) == (1, 1, 0)


def test_the_short_link_host_is_trusted_and_must_be_https(instance_path, monkeypatch):
    monkeypatch.setenv("OUTREACH_BASE_URL", "https://events.example.cn")
    monkeypatch.setenv("OUTREACH_SMS_LINK_BASE", "https://cy.example.cn")
    app = create_app()
    assert app.config["TRUSTED_HOSTS"] == ["events.example.cn", "cy.example.cn"]
    for plain in ("http://cy.example.cn", "cy.example.cn"):
        monkeypatch.setenv("OUTREACH_SMS_LINK_BASE", plain)
        with pytest.raises(ValueError, match="https"):
            create_app()
