"""The staff event editor: creating, validating, editing and publishing an event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.events.models import Event, EventStatus
from outreach.localtime import local_today
from tests.staff.support import audit_entries, count, event_form, fresh, text_of
from tests.web import post_form


def test_creating_an_event_records_it_and_leads_to_its_sessions(client, org, login_as):
    login_as(org["organiser"])
    response = post_form(client, "/staff/events/new", event_form(org))
    event = db.session.scalar(select(Event).where(Event.title == "三天义诊"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/events/{event.id}/sessions"
    assert event.status == EventStatus.DRAFT
    assert event.organisation_id == org["centre"].id
    assert event.description == "第一段\n\n第二段 https://example.org/"
    [entry] = audit_entries()
    assert (entry.action, entry.target_type, entry.target_id) == ("create", "event", event.id)
    assert entry.actor_id == org["organiser"].id
    assert entry.organisation_id == org["centre"].id
    assert entry.changes["title"] == {"before": None, "after": "三天义诊"}


def test_registration_settings_are_saved_in_local_time(client, org, login_as):
    login_as(org["organiser"])
    data = event_form(
        org,
        max_party_size="2",
        allow_waitlist="",
        one_registration_per_event="y",
        registration_opens_at="2099-08-01T09:00",
        registration_closes_at="2099-08-14 18:00",
    )
    data.pop("allow_waitlist")
    assert post_form(client, "/staff/events/new", data).status_code == 302
    event = db.session.scalar(select(Event).where(Event.title == "三天义诊"))
    assert event.max_party_size == 2
    assert event.allow_waitlist is False and event.one_registration_per_event is True
    assert event.registration_opens_at.isoformat() == "2099-08-01T01:00:00+00:00"
    assert event.registration_closes_at.isoformat() == "2099-08-14T10:00:00+00:00"
    text = text_of(client.get(f"/staff/events/{event.id}/edit"))
    assert 'value="2099-08-01T09:00"' in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_party_size": "0"}, "From 1 to 20."),
        ({"max_party_size": "x"}, "Not a valid integer value."),
        ({"registration_opens_at": "2099-08-01"}, "Please enter a date and a time"),
        (
            {
                "registration_opens_at": "2099-08-02T09:00",
                "registration_closes_at": "2099-08-01T09:00",
            },
            "Registration must close after it opens.",
        ),
    ],
)
def test_registration_settings_are_validated(english, org, login_as, changes, message):
    login_as(org["organiser"])
    response = post_form(english, "/staff/events/new", event_form(org, **changes))
    assert response.status_code == 200
    assert message in text_of(response)
    assert db.session.scalar(select(Event).where(Event.title == "三天义诊")) is None


def test_creating_a_published_event_records_publish_too(client, org, login_as):
    login_as(org["organiser"])
    post_form(client, "/staff/events/new", event_form(org, status="published"))
    assert [entry.action for entry in audit_entries()] == ["create", "publish"]


def test_organisation_list_offers_only_my_organisations(english, org, login_as):
    login_as(org["organiser"])
    text = text_of(english.get("/staff/events/new"))
    assert "六里屯社区卫生服务中心" in text
    assert "望京街道办事处" not in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Please enter a title."),
        ({"title": "   "}, "Please enter a title."),
        ({"title": "义" * 201}, "Please keep this to at most 200 characters."),
        ({"summary": "简" * 501}, "Please keep this to at most 500 characters."),
        ({"audience": "人" * 201}, "Please keep this to at most 200 characters."),
        ({"category_id": ""}, "Please choose a category."),
        ({"category_id": "abc"}, "Please choose a category."),
        ({"category_id": "999999"}, "Please choose a category."),
        ({"organisation_id": "{other}"}, "Please choose one of your organisations."),
        ({"organisation_id": "x"}, "Please choose one of your organisations."),
        ({"status": "cancelled"}, "Please choose draft or published."),
    ],
)
def test_event_form_explains_what_is_wrong_and_keeps_the_input(
    english, org, login_as, changes, message
):
    login_as(org["organiser"])
    changes = {k: v.format(other=org["other"].id) for k, v in changes.items()}
    response = post_form(english, "/staff/events/new", event_form(org, **changes))
    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert "第二段 https://example.org/" in text  # what was typed is still there
    assert count(Event) == 1
    assert audit_entries() == []


def test_event_form_messages_in_chinese(client, org, login_as):
    login_as(org["organiser"])
    response = post_form(client, "/staff/events/new", event_form(org, title=""))
    assert "请填写活动名称。" in text_of(response)


def test_editing_records_before_and_after_and_touches_future_sessions(client, org, make, login_as):
    past = make.event_session(org["event"], day=local_today() - timedelta(days=3))
    event_session = org["session"]
    before = (event_session.sequence, event_session.updated_at)
    login_as(org["organiser"])
    data = event_form(org, title="专家义诊进社区", status="published")
    response = post_form(client, f"/staff/events/{org['event'].id}/edit", data)
    assert response.status_code == 302
    event = fresh(org["event"])
    assert event.title == "专家义诊进社区"
    [entry] = audit_entries("update")
    assert entry.changes["title"] == {"before": "专家义诊", "after": "专家义诊进社区"}
    assert "status" not in entry.changes  # it was already published
    assert audit_entries("publish") == []
    touched = fresh(event_session)
    assert touched.sequence == before[0] + 1 and touched.updated_at > before[1]
    assert fresh(past).sequence == 0


def test_saving_without_changes_records_nothing(client, org, login_as):
    login_as(org["organiser"])
    event = org["event"]
    data = event_form(
        org,
        title=event.title,
        summary=event.summary,
        description=event.description,
        audience=event.audience,
        status="published",
    )
    assert post_form(client, f"/staff/events/{event.id}/edit", data).status_code == 302
    assert audit_entries() == []
    assert fresh(org["session"]).sequence == 0


def test_publishing_a_draft_records_publish(client, org, make, login_as):
    draft = make.event("草稿", organisation=org["centre"], status=EventStatus.DRAFT)
    login_as(org["organiser"])
    post_form(client, f"/staff/events/{draft.id}/edit", event_form(org, status="published"))
    assert fresh(draft).status == EventStatus.PUBLISHED
    [update] = audit_entries("update")
    assert update.changes["status"] == {"before": "draft", "after": "published"}
    assert [entry.target_id for entry in audit_entries("publish")] == [draft.id]


def test_published_event_cannot_go_back_to_draft(english, org, login_as):
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/edit"
    response = post_form(english, url, event_form(org, status="draft"))
    assert response.status_code == 200
    assert "A published event cannot go back to draft; cancel it instead." in text_of(response)
    assert fresh(org["event"]).status == EventStatus.PUBLISHED
    assert audit_entries() == []


def test_moving_an_event_to_an_organisation_i_cannot_edit_is_refused(client, org, login_as):
    login_as(org["organiser"])
    data = event_form(org, organisation_id=str(org["other"].id), status="published")
    response = post_form(client, f"/staff/events/{org['event'].id}/edit", data)
    assert response.status_code == 200
    assert fresh(org["event"]).organisation_id == org["centre"].id
