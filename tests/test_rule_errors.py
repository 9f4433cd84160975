"""One kind of rule error, one way to show it: RuleError and its family, the helper views and
commands call services through (outreach/attempt.py), and the API's JSON answer."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from flask import render_template_string
from sqlalchemy import func, select

import outreach
from outreach.api.schemas import FieldErrors
from outreach.attempt import Outcome, attempt, submit
from outreach.database import db
from outreach.errors import KIND_STATUS, InvalidInput, RuleError
from outreach.places.models import Township, TownshipKind
from outreach.registrations.models import Registration
from tests.web import post_form, register

PACKAGE = Path(outreach.__file__).parent
HELPER = PACKAGE / "attempt.py"


def _rule_errors() -> set[str]:
    """The names of RuleError and every subclass, once all of the package is imported."""
    for module in pkgutil.walk_packages(outreach.__path__, "outreach."):
        # gunicorn's settings file is no library module: importing it names a metrics folder
        # in the environment (for the workers it forks), which would send every later test's
        # /metrics in this process to that empty folder.
        if not module.name.startswith(("outreach.migrations", "outreach.gunicorn_conf")):
            importlib.import_module(module.name)
    found, todo = set(), [RuleError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    # ValueError (RuleError's base) would swallow rule errors too. (A catch-all around a
    # daemon's round, in a command, is another matter: it logs and goes on.)
    return found | {"ValueError"}


def _caught(handler: ast.ExceptHandler) -> list[str]:
    if handler.type is None:
        return []
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "?") for n in nodes]


def _views_and_commands() -> list[Path]:
    found = [*PACKAGE.rglob("*views*.py"), *PACKAGE.rglob("cli.py"), *PACKAGE.rglob("commands.py")]
    return sorted(path for path in found if path != HELPER)


def test_views_and_commands_leave_rule_errors_to_the_one_helper():
    names = _rule_errors()
    family = {"RegistrationError", "EditError", "NoticeError", "AccountError", "SlotError"}
    family |= {"RecurrenceError", "SeriesError", "ImportProblem", "FieldErrors", "InvalidInput"}
    assert family <= names
    modules = _views_and_commands()
    assert len(modules) > 15  # the scan does find the views
    offending = [
        f"{path.relative_to(PACKAGE.parent)}:{handler.lineno} catches {name}"
        for path in modules
        for handler in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(handler, ast.ExceptHandler)
        for name in _caught(handler)
        if name in names
    ]
    assert offending == []


def test_each_kind_has_its_status_and_unknown_kinds_are_refused():
    assert RuleError("x").kind == "invalid" and RuleError("x").status == 422
    assert {RuleError("x", kind=kind).status for kind in ("full", "duplicate", "closed")} == {409}
    assert InvalidInput("x").kind == "bad_request" and InvalidInput("x").status == 400
    assert set(KIND_STATUS) >= {"invalid", "full", "duplicate", "closed"}
    with pytest.raises(ValueError, match="unknown kind"):
        RuleError("x", kind="nonsense")
    error = RuleError("Please choose.", "slot")
    assert str(error) == "Please choose." and error.fields == {"slot": "Please choose."}
    assert FieldErrors({"name": "a", "phone": "b"}).fields == {"name": "a", "phone": "b"}
    assert FieldErrors({"name": "a", "phone": "b"}).field == "name"


# ---------------------------------------------------------------------------------------------
# Form views


def test_a_refused_registration_stands_beside_its_field_with_the_input_kept(client, make):
    event_session = make.event_session()
    make.registration(event_session, phone="13800138000")
    response = register(client, event_session, name="赵大妈", email="zhao@example.cn")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    phone_errors = f'<ul class="errors" id="s{event_session.id}-phone-errors">'
    assert phone_errors in text
    assert "该手机号已报名本场" in text.split(phone_errors, 1)[1].split("</ul>", 1)[0]
    assert 'value="赵大妈"' in text and 'value="zhao@example.cn"' in text
    assert db.session.scalar(select(func.count(Registration.id))) == 1


PAGE = """{% for name, f in form._fields.items() %}[{{ name }}:{{ f.data or '' }}:
{{- f.errors|join('|') }}]{% endfor %}<{{ form.form_errors|join('|') }}>"""


def _refusing_app(new_app, field: str | None):
    """An app with a form view whose service adds a row, then refuses on `field`."""
    from flask_wtf import FlaskForm
    from wtforms import StringField

    class NameForm(FlaskForm):
        name = StringField()

    app = new_app(WTF_CSRF_ENABLED=False)

    def change():
        db.session.add(Township(name="半途街道", slug="halfway", kind=TownshipKind.STREET))
        db.session.flush()
        raise RuleError("No, not this name.", field)

    @app.post("/try")
    def try_it():
        form = NameForm()
        outcome = submit(form, change)
        return render_template_string(PAGE, form=form), 200 if outcome else 422

    return app


def _townships() -> int:
    return db.session.scalar(select(func.count(Township.id)))


@pytest.mark.parametrize(
    ("field", "shown"),
    [
        ("name", "[name:望京:No, not this name.]<>"),
        (None, "[name:望京:]<No, not this name.>"),
        ("elsewhere", "[name:望京:]<No, not this name.>"),
    ],
)
def test_the_helper_rolls_back_and_shows_the_reason_where_it_belongs(new_app, field, shown):
    response = _refusing_app(new_app, field).test_client().post("/try", data={"name": "望京"})
    assert response.status_code == 422
    assert response.get_data(as_text=True) == shown
    assert _townships() == 0


def test_the_helper_commits_what_the_rules_allow(app, make):
    outcome = attempt(None, lambda: make.township("望京街道"))
    assert outcome and outcome.value.name == "望京街道" and outcome.error is None
    assert not Outcome() and Outcome().error is None


# ---------------------------------------------------------------------------------------------
# Buttons (a flash, then a redirect)


def test_a_refused_button_is_flashed_and_changes_nothing(client, make, login_as):
    event_session = make.event_session()
    organiser = make.staff(organisation=event_session.event.organisation, role="organiser")
    login_as(organiser)
    sessions = f"/staff/events/{event_session.event_id}/sessions"
    response = post_form(client, f"{sessions}/{event_session.id}/restore")
    assert response.status_code == 302 and response.headers["Location"] == sessions
    page = client.get(sessions).get_data(as_text=True)
    assert '<p class="flash error">该场次未被取消。</p>' in page
    assert db.session.get(type(event_session), event_session.id).sequence == 0


# ---------------------------------------------------------------------------------------------
# The JSON API


def _post(client, event_session, **fields):
    body = {"name": "刘阿姨", "phone": "13800138000", "party_size": 1, "consent": True, **fields}
    return client.post(f"/api/v1/sessions/{event_session.id}/registrations", json=body)


def test_the_api_answers_a_duplicate_with_409_naming_the_field(client, make):
    event_session = make.event_session()
    assert _post(client, event_session).status_code == 201
    response = _post(client, event_session, phone="+86 138 0013 8000")
    assert response.status_code == 409
    message = response.json["message"]
    assert "该手机号已报名本场" in message
    assert response.json == {
        "error": "duplicate",
        "message": message,
        "field": "phone",
        "fields": {"phone": message},
    }


def test_the_api_answers_full_and_closed_with_409_and_no_field(client, make):
    from outreach.events.models import SessionStatus

    full = make.event_session(make.event(allow_waitlist=False), capacity=1)
    _post(client, full)
    response = _post(client, full, phone="13900139000")
    assert response.status_code == 409
    assert response.json["error"] == "full" and response.json["field"] is None
    assert "fields" not in response.json
    cancelled = make.event_session(status=SessionStatus.CANCELLED)
    closed = _post(client, cancelled)
    assert closed.status_code == 409 and closed.json["error"] == "closed"
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_the_api_answers_invalid_input_with_422_and_every_field(client, make):
    event_session = make.event_session()
    response = _post(client, event_session, name="", email="nope")
    assert response.status_code == 422
    body = response.json
    assert body["error"] == "invalid" and body["field"] == "name"
    assert set(body["fields"]) == {"name", "email"} and body["message"] == body["fields"]["name"]
    refused = _post(client, event_session, party_size=9)
    assert refused.status_code == 422 and refused.json["field"] == "party_size"
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_the_api_answers_an_unreadable_parameter_with_400(client):
    response = client.get("/api/v1/events?per_page=0")
    assert response.status_code == 400
    assert response.json["error"] == "bad_request" and response.json["field"] is None
    assert response.json["message"]
