"""The event page's unposted registration forms, written from prepared pieces
(registrations/blank_forms.py), are the markup the `registration_form` macro writes for a
WTForms form nobody posted: compared byte for byte for every open session of a world with
each shape of form (slots by department or one per label, few places left, waitlist only, a
session without slots, a venue without a community), in both languages, with phones verified
or not and with a number confirmed on this device a short while ago or not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g, get_template_attribute

from outreach.database import db, utcnow
from outreach.events import services as event_services
from outreach.registrations import choices as slot_choices
from outreach.registrations import services
from outreach.registrations.blank_forms import MARK, BlankForms
from outreach.registrations.slot_rows import slot_rows
from outreach.registrations.views import _community_choices, _form_for
from tests import factories as make
from tests.test_event_page_forms import _world
from tests.web import post_form, registration_form


def _sessions_to_compare():
    clinic, strict, grouped, _names = _world()
    # A session without slots, at a venue without a community, with a party limit of 1.
    township = make.township("无社区街道", slug="blank-street")
    bare = make.venue(None, "街道礼堂", slug="blank-hall", township=township)
    single = make.event("讲座二", allow_waitlist=True, max_party_size=1)
    make.event_session(single, bare, capacity=None)
    db.session.flush()
    return [clinic, strict, single]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("verify", "verified_minutes"), [(False, 0), (True, 0), (True, 30)])
def test_a_blank_form_is_the_macros_markup(app, language, verify, verified_minutes):
    events = _sessions_to_compare()
    compared = 0
    with app.test_request_context(f"/?lang={language}"):
        g.csrf_token = "token"  # what generate_csrf() answers for both ways
        macro = get_template_attribute("registrations/_form.html", "registration_form")
        for each in events:
            event = event_services.public_event(each.id)
            # The page's way: the slots as plain rows (the macro reads the loaded ones).
            slots = slot_rows(s.id for s in event.sessions)
            rooms = services.rooms(event.sessions, slots)
            wordings = slot_choices.Wordings()
            choices = _community_choices(*event.sessions)
            prepared = BlankForms(event, choices, 90, verify, verified_minutes)
            for event_session in event.sessions:
                if services.closed_reason(event_session, utcnow()) is not None:
                    continue
                room = rooms[event_session.id]
                groups = slot_choices.slot_groups(
                    event_session, slots[event_session.id], room, wordings
                )
                form = _form_for(event_session, choices)
                expected = macro(
                    event_session, form, 90, room, groups, verify, None, verified_minutes
                )
                assert prepared.render(event_session, room, groups) == expected
                compared += 1
    assert compared == 6  # every shape of form was written both ways


def test_a_posted_form_never_fills_the_blank_forms_of_later_visitors(client):
    # A community nobody offered before: the pieces for this page are made during the POST.
    township = make.township("防串街道", slug="poison-street")
    home = make.community(township, "防串社区", slug="poison-home")
    place = make.venue(home, "防串服务站", slug="poison-venue")
    event = make.event("防串义诊", allow_waitlist=True)
    first = make.event_session(event, place, capacity=5)
    make.event_session(event, place, capacity=5, day=first.starts_at.date() + timedelta(days=1))
    db.session.flush()
    data = registration_form(first, client, name="")  # refused: the page is drawn again
    planted = {"name": "Mallory", "phone": "13900000000", "email": "evil@example.org"}
    data.update({f"{MARK}-{key}": value for key, value in planted.items()})
    data[f"{MARK}-party_size"] = "4"
    refused = post_form(client, f"/sessions/{first.id}/register", data)
    assert refused.status_code == 422

    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'name="s' in page  # the blank forms are there
    for value in planted.values():
        assert value not in page
    assert f'value="4" id="s{first.id}-party_size"' not in page
