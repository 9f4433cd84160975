"""The event page's registration forms, as markup: the slots' radio buttons (departments,
places left, full slots, the waitlist), the fields, their labels, ids and ARIA attributes, in
Chinese and English, in elderly mode, with phone verification and after a failed submit.

The forms are compared with tests/data/event_page_forms.html, recorded from the page as it
was before its slot choices were worked out in Python (registrations/choices.py): the same
markup, byte for byte, once the CSRF tokens and the rows' ids are replaced by names. Record
it again (OUTREACH_RECORD_FORMS=1) only for a change meant to alter the forms.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

from outreach.database import db
from tests import factories as make
from tests.web import post_form, registration_form, untimed

RECORDED = Path(__file__).with_name("data") / "event_page_forms.html"


def _world():
    """An event with slots by department, slots one per label, a full session (waitlist),
    and a finished one; another event without a waitlist, with a full slot and a full
    session. Named rows, so that the markup names them alike in every run."""
    township = make.township("测试街道", slug="forms-street")
    home = make.community(township, "幸福社区", slug="forms-home")
    make.community(township, "和平社区", slug="forms-peace", name_en="Peace")
    place = make.venue(home, "幸福社区服务站", slug="forms-venue")
    clinic = make.event("义诊", allow_waitlist=True, max_party_size=4)
    grouped = make.event_session(clinic, place, capacity=20)
    slots = make.half_hours(grouped, capacity=3)
    slots["全科", 0].label_en = "General practice"
    slots["全科", 1].label_en = "General practice"
    make.registration(grouped, 3, slot_id=slots["中医科", 1].id)  # a full slot
    single = make.event_session(clinic, place, day=grouped.starts_at.date() + timedelta(days=2))
    make.slot(single, "全科", capacity=4, label_en="General practice", position=0)
    make.slot(single, "中医科", capacity=2, position=1)
    full = make.event_session(clinic, place, capacity=1, start=grouped.starts_at.time())
    make.registration(full, 1)
    make.event_session(clinic, place, day=grouped.starts_at.date() - timedelta(days=4))
    strict = make.event("讲座", allow_waitlist=False)
    one = make.event_session(strict, place, capacity=10)
    make.slot(one, "上午", capacity=1)
    make.slot(one, "下午", capacity=5)
    make.registration(one, 1, slot_id=one.slots[0].id)
    closed = make.event_session(strict, place, capacity=1)
    make.registration(closed, 1)
    db.session.flush()
    names = {
        f"S{n}": event_session.id
        for n, event_session in enumerate([grouped, single, full, one, closed], 1)
    }
    names |= {f"E{n}": event.id for n, event in enumerate([clinic, strict], 1)}
    for n, slot in enumerate([*grouped.slots, *single.slots, *one.slots], 1):
        names[f"T{n}"] = slot.id
    return clinic, strict, grouped, names


def _forms(page: str, names: dict[str, int]) -> str:
    """The page's registration forms (and "full" notes), tokens untimed, ids named."""
    parts = re.findall(
        r'<details class="register".*?</details>|<p class="full-note">.*?</p>', page, re.S
    )
    text = untimed("\n".join(parts))
    # Sessions, events and slots are numbered apart: on a fresh SQLite database session 3
    # and slot 3 may both exist, on PostgreSQL (whose sequences run on) they seldom do.
    by_kind: dict[str, dict[str, str]] = {}
    for name, value in names.items():
        by_kind.setdefault(name[0], {})[str(value)] = name

    def named(kind: str):
        def replace(match: re.Match) -> str:
            found = by_kind[kind].get(match.group(2), "?" + match.group(2))
            return match.group(1) + found + match.group(3)

        return replace

    patterns = [
        ("S", r"(/sessions/)(\d+)(/)"),
        ("S", r"(#session-)(\d+)()"),
        ("E", r"(/events/)(\d+)()"),
        ("S", r"(\bs)(\d+)(-)"),
        # After the prefixes were named: sS3-session_id.
        ("S", r'(name="s[^"-]+-session_id" type="hidden" value=")(\d+)(")'),
        ("T", r'(type="radio" name="[^"]+" value=")(\d+)(")'),
    ]
    for kind, pattern in patterns:
        text = re.sub(pattern, named(kind), text)
    return text


def test_the_forms_are_the_same_markup_as_recorded(client, app):
    clinic, strict, grouped, names = _world()
    pages = []
    for query in ("", "?lang=en", "?lang=en&elder=1", "?lang=zh&elder=0"):
        for event in (clinic, strict):
            response = client.get(f"/events/{event.id}{query}")
            assert response.status_code == 200
            pages.append(f"== /events/E{1 if event is clinic else 2}{query}\n")
            pages.append(_forms(response.get_data(as_text=True), names))
    # A failed submit: the form comes back with its errors, the slot chosen stays chosen.
    slot = grouped.slots[2]
    data = registration_form(grouped, client, name="", slot=str(slot.id), party_size="2")
    response = post_form(client, f"/sessions/{grouped.id}/register", data)
    pages.append("== failed submit\n")
    pages.append(_forms(response.get_data(as_text=True), names))
    # Phones verified: a "Send code" button and a code field.
    kept = app.config.get("VERIFY_PHONES")
    app.config["VERIFY_PHONES"] = True
    try:
        response = client.get(f"/events/{clinic.id}")
    finally:
        app.config["VERIFY_PHONES"] = kept
    pages.append("== verified phones\n")
    pages.append(_forms(response.get_data(as_text=True), names))
    found = "\n".join(pages)
    if os.environ.get("OUTREACH_RECORD_FORMS"):
        RECORDED.parent.mkdir(exist_ok=True)
        RECORDED.write_text(found, encoding="utf-8")
    assert not re.search(r"\?\d", found)  # every id in the forms is one of the world's
    assert found == RECORDED.read_text(encoding="utf-8")
