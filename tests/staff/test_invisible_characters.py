"""Text typed into the staff editors keeps no bidirectional controls or zero-width spaces."""

from __future__ import annotations

from sqlalchemy import select

from outreach.database import db
from outreach.events.models import Event
from tests.staff.support import event_form
from tests.web import post_form


def test_an_event_title_with_zero_width_spaces_is_stored_without_them(client, org, login_as):
    login_as(org["organiser"])
    form = event_form(
        org, title="三天\u200b义诊\u200b", summary="\u202e脑卒中\u202c", audience="居民\ufeff"
    )
    response = post_form(client, "/staff/events/new", form)
    assert response.status_code == 302
    event = db.session.scalar(select(Event).order_by(Event.id.desc()))
    assert (event.title, event.summary, event.audience) == ("三天义诊", "脑卒中", "居民")


def test_a_title_of_zero_width_spaces_only_is_refused_as_empty(client, org, login_as):
    login_as(org["organiser"])
    before = db.session.scalar(select(db.func.count(Event.id)))
    response = post_form(client, "/staff/events/new", event_form(org, title="\u200b\u200b"))
    assert response.status_code == 200
    assert db.session.scalar(select(db.func.count(Event.id))) == before
