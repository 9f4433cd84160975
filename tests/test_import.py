"""Importing iCalendar files, from the command line and the staff upload page."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from outreach.accounts.models import AuditEntry
from outreach.database import db
from outreach.events import importer
from outreach.events.models import Event, EventSession, EventStatus, SessionStatus
from outreach.localtime import local_today
from tests.factories import SHANGHAI, local
from tests.web import post_form

START = datetime.now(SHANGHAI).date() + timedelta(days=14)  # the weekly series' first day
ALL_DAY = START + timedelta(days=3)
FLOATING = START + timedelta(days=4)
NEW_YORK = START + timedelta(days=5)


def stamp(day: date, at: time | None = None) -> str:
    return day.strftime("%Y%m%d") + (at.strftime("T%H%M%S") if at else "")


def vevent(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", *lines, "END:VEVENT"])


def calendar(*events: str) -> bytes:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Import//EN"]
    return "\r\n".join([*head, *events, "END:VCALENDAR", ""]).encode()


def series(title="每周太极拳", exdates=(7,), moves=((14, time(14, 0)),), extra=()) -> list[str]:
    """A weekly series of five from START 09:00–10:30 Beijing time, with exceptions and moves."""
    tz = "TZID=Asia/Shanghai"
    master = vevent(
        "UID:taiji-series@example.org",
        f"SUMMARY:{title}",
        "DESCRIPTION:每周一次\\, 欢迎参加",
        f"DTSTART;{tz}:{stamp(START, time(9))}",
        f"DTEND;{tz}:{stamp(START, time(10, 30))}",
        "RRULE:FREQ=WEEKLY;COUNT=5",
        *(f"EXDATE;{tz}:{stamp(START + timedelta(days=d), time(9))}" for d in exdates),
    )
    overrides = [
        vevent(
            "UID:taiji-series@example.org",
            f"RECURRENCE-ID;{tz}:{stamp(START + timedelta(days=d), time(9))}",
            f"SUMMARY:{title}",
            f"DTSTART;{tz}:{stamp(START + timedelta(days=d + 1), at)}",
            f"DTEND;{tz}:{stamp(START + timedelta(days=d + 1), time(at.hour + 1, 30))}",
        )
        for d, at in moves
    ]
    return [master, *overrides, *extra]


def others(all_day_title: str = "社区义诊日") -> list[str]:
    """An all-day, a floating-time, a New York time and several that cannot be imported."""
    return [
        vevent(
            "UID:clinic-day@example.org",
            f"SUMMARY:{all_day_title}",
            f"DTSTART;VALUE=DATE:{stamp(ALL_DAY)}",
            f"DTEND;VALUE=DATE:{stamp(ALL_DAY + timedelta(days=2))}",
        ),
        vevent(
            "UID:film-night@example.org",
            "SUMMARY:露天电影",
            f"DTSTART:{stamp(FLOATING, time(19))}",
            f"DTEND:{stamp(FLOATING, time(20, 30))}",
        ),
        vevent(
            "UID:video-call@example.org",
            "SUMMARY:Video call with New York",
            f"DTSTART;TZID=America/New_York:{stamp(NEW_YORK, time(8))}",
            f"DTEND;TZID=America/New_York:{stamp(NEW_YORK, time(9))}",
        ),
        vevent(
            "UID:called-off@example.org",
            "SUMMARY:取消的讲座",
            "STATUS:CANCELLED",
            f"DTSTART:{stamp(FLOATING, time(9))}",
        ),
        vevent("UID:no-title@example.org", f"DTSTART:{stamp(FLOATING, time(9))}"),
        vevent("UID:no-start@example.org", "SUMMARY:没有时间"),
        vevent("UID:long-ago@example.org", "SUMMARY:很久以前", "DTSTART:20010101T090000"),
        vevent(
            "UID:every-minute@example.org",
            "SUMMARY:太频繁",
            f"DTSTART:{stamp(FLOATING, time(9))}",
            "RRULE:FREQ=MINUTELY",
        ),
    ]


FILE = calendar(*series(), *others())
SKIPPED_UIDS = {
    "called-off@example.org",
    "no-title@example.org",
    "no-start@example.org",
    "long-ago@example.org",
    "every-minute@example.org",
}


def utc(day: date, at: time, zone: str = "Asia/Shanghai") -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


EXPECTED = {
    # (title, start, end, all day)
    ("每周太极拳", local(START, time(9)), local(START, time(10, 30)), False),
    (
        "每周太极拳",
        local(START + timedelta(days=15), time(14)),
        local(START + timedelta(days=15), time(15, 30)),
        False,
    ),
    (
        "每周太极拳",
        local(START + timedelta(days=21), time(9)),
        local(START + timedelta(days=21), time(10, 30)),
        False,
    ),
    (
        "每周太极拳",
        local(START + timedelta(days=28), time(9)),
        local(START + timedelta(days=28), time(10, 30)),
        False,
    ),
    ("社区义诊日", local(ALL_DAY, time(0)), local(ALL_DAY + timedelta(days=2), time(0)), True),
    ("露天电影", local(FLOATING, time(19)), local(FLOATING, time(20, 30)), False),
    (
        "Video call with New York",
        utc(NEW_YORK, time(8), "America/New_York"),
        utc(NEW_YORK, time(9), "America/New_York"),
        False,
    ),
}


def sessions() -> list[EventSession]:
    db.session.expire_all()
    statement = select(EventSession).order_by(EventSession.starts_at, EventSession.id)
    return list(db.session.scalars(statement))


def rows() -> set[tuple]:
    return {(s.event.title, s.starts_at, s.ends_at, s.all_day) for s in sessions()}


def state() -> dict[str, tuple]:
    """Every session by UID: id, event id, times, status and sequence."""
    return {
        s.uid: (s.id, s.event_id, s.starts_at, s.ends_at, s.status, s.sequence) for s in sessions()
    }


def import_entries() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "import").order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def importing_centre(make):
    """An organisation with an organiser, another organisation, a venue and a category."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    other = make.organisation(slug="other")
    return {
        "centre": centre,
        "other": other,
        "venue": make.venue(),
        "category": make.category("健康义诊", slug="health", name_en="Health"),
        "organiser": make.staff(organisation=centre, role="organiser"),
        "outsider": make.staff(organisation=other, role="organiser"),
    }


@pytest.fixture
def ics(tmp_path):
    """Write bytes to a file and return its path."""

    def write(data: bytes, name: str = "calendar.ics") -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write


@pytest.fixture
def cli(runner, importing_centre, ics):
    """Run import-ics for the centre at its venue, in the health category unless told."""

    def run(data: bytes, *extra: str, category: str | None = "health"):
        args = ["import-ics", ics(data), "--organisation", "centre"]
        args += ["--venue", str(importing_centre["venue"].id), *extra]
        if category:
            args += ["--category", category]
        return runner.invoke(args=args)

    return run


# ---------------------------------------------------------------------------------------------
# The command line


def test_import_creates_an_event_per_uid_and_a_session_per_occurrence(cli, importing_centre):
    result = cli(FILE)
    assert result.exit_code == 0, result.output
    assert rows() == EXPECTED
    events = db.session.scalars(select(Event).order_by(Event.id)).all()
    assert {e.source_uid for e in events} == {
        "taiji-series@example.org",
        "clinic-day@example.org",
        "film-night@example.org",
        "video-call@example.org",
    }
    assert all(e.status == EventStatus.DRAFT for e in events)
    assert all(e.organisation_id == importing_centre["centre"].id for e in events)
    assert all(e.category_id == importing_centre["category"].id for e in events)
    assert {s.venue_id for s in sessions()} == {importing_centre["venue"].id}
    assert "每周一次, 欢迎参加" in {e.description for e in events}
    assert "Events: 4 created, 0 updated, 0 unchanged, 5 skipped." in result.output
    assert "Sessions: 7 created, 0 updated, 0 unchanged, 0 cancelled." in result.output
    for uid in SKIPPED_UIDS:
        assert f"Skipped {uid}" in result.output
    assert "It is cancelled in the file." in result.output
    assert "It has no title (SUMMARY)." in result.output
    assert "It has no start (DTSTART)." in result.output
    assert "It has no sessions in the import window." in result.output
    assert "It repeats more than once a day" in result.output
    assert len(import_entries()) == 4


def test_session_uids_are_stable_short_and_carry_nothing_of_the_file(cli, importing_centre):
    cli(FILE)
    uids = [s.uid for s in sessions()]
    assert len(set(uids)) == len(uids) == 7
    assert all(uid.startswith("imported-") and len(uid) < 80 for uid in uids)
    assert not any("example.org" in uid for uid in uids)


def test_publish_makes_new_events_public(cli, importing_centre):
    cli(FILE, "--publish")
    assert {e.status for e in db.session.scalars(select(Event))} == {EventStatus.PUBLISHED}


def test_second_import_of_the_same_file_changes_nothing(cli, importing_centre):
    cli(FILE)
    before, entries = state(), len(import_entries())
    result = cli(FILE)
    assert result.exit_code == 0, result.output
    assert state() == before
    assert len(import_entries()) == entries
    assert "Events: 0 created, 0 updated, 4 unchanged, 5 skipped." in result.output
    assert "Sessions: 0 created, 0 updated, 7 unchanged, 0 cancelled." in result.output


def test_changed_file_updates_in_place_and_raises_sequence(cli, importing_centre):
    cli(FILE)
    before = state()
    by_start = {s.starts_at: s.uid for s in sessions()}
    moved_uid = by_start[local(START + timedelta(days=21), time(9))]
    dropped_uid = by_start[local(START + timedelta(days=28), time(9))]
    clinic_uid = by_start[local(ALL_DAY, time(0))]
    changed = calendar(
        *series(moves=((14, time(14)), (21, time(16))), exdates=(7, 28)),
        *others(all_day_title="社区义诊日（改期通知）"),
    )
    result = cli(changed)
    assert result.exit_code == 0, result.output
    after = state()
    assert after.keys() == before.keys()  # nothing added, nothing deleted
    assert {uid: row[:2] for uid, row in after.items()} == {
        uid: row[:2] for uid, row in before.items()
    }
    moved = after[moved_uid]
    assert moved[2] == local(START + timedelta(days=22), time(16))
    assert moved[5] == before[moved_uid][5] + 1
    assert after[dropped_uid][4] == SessionStatus.CANCELLED
    assert after[dropped_uid][5] == before[dropped_uid][5] + 1
    assert after[clinic_uid][5] == before[clinic_uid][5] + 1  # the title changed
    clinic = db.session.get(EventSession, after[clinic_uid][0])
    assert clinic.event.title == "社区义诊日（改期通知）"
    untouched = set(after) - {moved_uid, dropped_uid, clinic_uid}
    assert all(after[uid] == before[uid] for uid in untouched)
    assert "Events: 0 created, 2 updated, 2 unchanged" in result.output
    assert "Sessions: 0 created, 1 updated, 5 unchanged, 1 cancelled." in result.output
    entries = import_entries()
    assert len(entries) == 6
    assert entries[-1].changes["title"]["after"] == "社区义诊日（改期通知）"


def test_an_occurrence_back_in_the_file_is_restored(cli, importing_centre):
    cli(FILE)
    cli(calendar(*series(exdates=(7, 28)), *others()))
    result = cli(FILE)
    assert "Sessions: 0 created, 1 updated, 6 unchanged, 0 cancelled." in result.output
    assert {s.status for s in sessions()} == {SessionStatus.SCHEDULED}


def test_past_sessions_missing_from_the_file_are_left_alone(cli, importing_centre):
    cli(FILE)
    past = sessions()[0]
    past.starts_at = past.ends_at = local(local_today() - timedelta(days=3), time(9))
    past.uid = f"{past.uid[:-16]}20000101T000000Z"  # an occurrence the file no longer has
    db.session.commit()
    result = cli(FILE)
    assert "Sessions: 1 created, 0 updated, 6 unchanged, 0 cancelled." in result.output
    assert db.session.get(EventSession, past.id).status == SessionStatus.SCHEDULED


def test_category_comes_from_the_file_when_none_is_chosen(cli, importing_centre):
    data = calendar(
        vevent(
            "UID:with-category@example.org",
            "SUMMARY:义诊",
            "CATEGORIES:Health,Other",
            f"DTSTART:{stamp(FLOATING, time(9))}",
        ),
        vevent("UID:unknown@example.org", "SUMMARY:不明", f"DTSTART:{stamp(FLOATING, time(9))}"),
    )
    result = cli(data, category=None)
    assert result.exit_code == 0, result.output
    (event,) = db.session.scalars(select(Event)).all()
    assert event.category_id == importing_centre["category"].id
    assert "Skipped unknown@example.org (不明): Its category is unknown" in result.output


def test_another_organisations_event_is_not_touched(cli, importing_centre, runner, ics):
    cli(FILE)
    before = state()
    args = [
        "import-ics",
        ics(FILE),
        "--organisation",
        "other",
        "--venue",
        str(importing_centre["venue"].id),
    ]
    result = runner.invoke(args=[*args, "--category", "health"])
    assert result.exit_code == 0, result.output
    assert state() == before
    assert "Another organisation imported this event before." in result.output


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \r\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not an iCalendar (.ics) file."),
        (b"Subject: hello\r\n\r\nnot a calendar", "This is not an iCalendar (.ics) file."),
        (b"BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n", "This is not an iCalendar (.ics) file."),
        (calendar(), "The file holds no events."),
        (b"A" * (importer.MAX_FILE_BYTES + 1), "The file is too large: at most 2 MB."),
    ],
)
def test_bad_files_give_a_clear_error(cli, importing_centre, data, message):
    result = cli(data)
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalars(select(Event)).all() == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--organisation", "nobody"], "There is no organisation “nobody”."),
        (["--venue", "999999"], "There is no venue number 999999."),
        (["--category", "nothing"], "There is no category “nothing”."),
    ],
)
def test_unknown_choices_give_a_clear_error(runner, importing_centre, ics, extra, message):
    options = {"--organisation": "centre", "--venue": str(importing_centre["venue"].id)}
    options.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    args = ["import-ics", ics(FILE), *[part for pair in options.items() for part in pair]]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert message in result.output


def test_a_gb18030_file_is_read(cli, importing_centre):
    data = calendar(
        vevent("UID:gbk@example.org", "SUMMARY:健康讲座", f"DTSTART:{stamp(FLOATING, time(9))}")
    )
    result = cli(data.decode().encode("gb18030"))
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Event.title)) == "健康讲座"


def test_over_long_uids_and_titles_and_control_characters_fit_the_columns(cli, importing_centre):
    uid = "x" * 400 + "@example.org"
    data = calendar(
        vevent(
            f"UID:{uid}",
            "SUMMARY:" + "长" * 300,
            "DESCRIPTION:bell\x07 here",
            f"DTSTART:{stamp(FLOATING, time(9))}",
        )
    )
    result = cli(data)
    assert result.exit_code == 0, result.output
    event = db.session.scalar(select(Event))
    assert event.source_uid == importer.stored_uid(uid) and len(event.source_uid) <= 255
    assert event.title == "长" * 200
    assert event.description == "bell here"
    assert cli(data).output.startswith("Events: 0 created, 0 updated, 1 unchanged")


# ---------------------------------------------------------------------------------------------
# The upload page


def upload(client, importing_centre, data: bytes | None, **fields):
    form = {
        "organisation": "centre",
        "venue": str(importing_centre["venue"].id),
        "category": "health",
        **fields,
    }
    if data is not None:
        form["file"] = (io.BytesIO(data), "calendar.ics")
    return post_form(client, "/staff/import?lang=en", form, content_type="multipart/form-data")


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_upload_page_offers_my_organisations_venues_and_categories(
    client, importing_centre, login_as
):
    login_as(importing_centre["organiser"])
    response = client.get("/staff/import?lang=en")
    text = text_of(response)
    assert response.status_code == 200
    assert 'value="centre"' in text and 'value="other"' not in text
    assert f'value="{importing_centre["venue"].id}"' in text
    assert 'value="health"' in text and "As the file says (its CATEGORIES)" in text
    assert 'enctype="multipart/form-data"' in text


def test_upload_imports_and_reports(client, importing_centre, login_as):
    login_as(importing_centre["organiser"])
    response = upload(client, importing_centre, FILE, publish="y")
    text = text_of(response)
    assert response.status_code == 200, text[:2000]
    assert rows() == EXPECTED
    assert "The file has been imported." in text
    assert '<td class="created">4</td>' in text and '<td class="created">7</td>' in text
    assert '<td class="skipped">5</td>' in text
    assert "It is cancelled in the file." in text and "It has no title (SUMMARY)." in text
    entries = import_entries()
    assert len(entries) == 4 and {e.actor_id for e in entries} == {importing_centre["organiser"].id}
    assert {e.status for e in db.session.scalars(select(Event))} == {EventStatus.PUBLISHED}


def test_uploading_the_same_file_again_changes_nothing(client, importing_centre, login_as):
    login_as(importing_centre["organiser"])
    upload(client, importing_centre, FILE)
    before, entries = state(), len(import_entries())
    response = upload(client, importing_centre, FILE)
    text = text_of(response)
    assert response.status_code == 200
    assert state() == before and len(import_entries()) == entries
    assert "Nothing changed." in text
    assert '<td class="unchanged">4</td>' in text and '<td class="unchanged">7</td>' in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "Please choose a calendar file (.ics) to import."),
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not an iCalendar (.ics) file."),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "This is not an iCalendar (.ics) file."),
        (calendar(), "The file holds no events."),
        (b"B" * (importer.MAX_FILE_BYTES + 1), "The file is too large: at most 2 MB."),
    ],
)
def test_bad_uploads_are_explained_and_nothing_is_saved(
    client, importing_centre, login_as, data, message
):
    login_as(importing_centre["organiser"])
    response = upload(client, importing_centre, data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert db.session.scalars(select(Event)).all() == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"organisation": "nobody"}, "Please choose one of your organisations."),
        ({"organisation": ""}, "Please choose one of your organisations."),
        ({"venue": ""}, "Please choose a venue."),
        ({"venue": "abc"}, "Please choose a venue."),
        ({"venue": "99999999999999"}, "Please choose a venue."),
        ({"venue": "2147483647"}, "Please choose a venue."),
        ({"category": "nothing"}, "Please choose a category."),
    ],
)
def test_bad_choices_are_explained(client, importing_centre, login_as, fields, message):
    login_as(importing_centre["organiser"])
    response = upload(client, importing_centre, FILE, **fields)
    assert response.status_code == 422
    assert message in text_of(response)
    assert db.session.scalars(select(Event)).all() == []


def test_organiser_of_another_organisation_gets_403(client, importing_centre, login_as):
    login_as(importing_centre["outsider"])
    response = upload(client, importing_centre, FILE)
    assert response.status_code == 403
    assert db.session.scalars(select(Event)).all() == []


def test_checker_cannot_open_the_upload_page(client, importing_centre, make, login_as):
    login_as(make.staff(organisation=importing_centre["centre"], role="checker"))
    assert client.get("/staff/import").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, importing_centre):
    response = client.get("/staff/import")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_administrator_imports_for_any_organisation(client, importing_centre, make, login_as):
    login_as(make.staff(is_admin=True))
    response = upload(client, importing_centre, FILE, organisation="other")
    assert response.status_code == 200
    assert {e.organisation_id for e in db.session.scalars(select(Event))} == {
        importing_centre["other"].id
    }


def test_upload_page_in_chinese_by_default(client, importing_centre, login_as):
    login_as(importing_centre["organiser"])
    response = client.get("/staff/import")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in text_of(response)


def test_window_limits_what_is_imported(app, importing_centre):
    now = datetime.now(UTC)
    options = importer.ImportOptions(
        importing_centre["centre"], importing_centre["venue"], importing_centre["category"]
    )
    window = importer.Window(now, now + timedelta(days=20))
    report = importer.import_calendar(FILE, options, None, now=now, window=window)
    db.session.commit()
    # The series' first session, the all-day, floating and New York ones: 14 to 19 days ahead.
    assert report.sessions["created"] == 4
    assert all(s.starts_at < now + timedelta(days=20) for s in sessions())


def test_a_clash_with_a_simultaneous_import_is_explained(
    client, importing_centre, login_as, monkeypatch
):
    def clash(*args, **kwargs):
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(importer, "import_calendar", clash)
    login_as(importing_centre["organiser"])
    response = upload(client, importing_centre, FILE)
    assert response.status_code == 422
    assert "Another import of these events ran at the same time" in text_of(response)


def test_outlook_time_zone_names_are_understood(cli, importing_centre):
    """Outlook writes Windows zone names, with a VTIMEZONE of its own or none at all."""
    outlook_zone = "\r\n".join(
        [
            "BEGIN:VTIMEZONE",
            "TZID:China Standard Time",
            "BEGIN:STANDARD",
            "DTSTART:16010101T000000",
            "TZOFFSETFROM:+0800",
            "TZOFFSETTO:+0800",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    )
    data = calendar(
        outlook_zone,
        vevent(
            "UID:040000008200E00074C5B7101A82E008",
            "SUMMARY;LANGUAGE=zh-CN:居民议事会",
            f"DTSTART;TZID=China Standard Time:{stamp(FLOATING, time(9, 30))}",
            f"DTEND;TZID=China Standard Time:{stamp(FLOATING, time(10, 30))}",
        ),
        vevent(
            "UID:eastern@example.org",
            "SUMMARY:Call",
            f"DTSTART;TZID=Eastern Standard Time:{stamp(NEW_YORK, time(8))}",
        ),
    )
    result = cli(data)
    assert result.exit_code == 0, result.output
    assert {(s.starts_at, s.ends_at) for s in sessions()} == {
        (local(FLOATING, time(9, 30)), local(FLOATING, time(10, 30))),
        (utc(NEW_YORK, time(8), "America/New_York"),) * 2,
    }


def test_bidi_overrides_and_zero_width_spaces_are_dropped_from_imported_text(cli, importing_centre):
    data = calendar(
        vevent(
            "UID:bidi@example.org",
            "SUMMARY:\u202e健康\u200b讲座\u202c\u2066!\u2069",
            "DESCRIPTION:第一段\u200f\\n第二段\ufeff",
            "CATEGORIES:健康\u200b义诊",
            f"DTSTART:{stamp(FLOATING, time(9))}",
        )
    )
    result = cli(data, category=None)
    assert result.exit_code == 0, result.output
    event = db.session.scalar(select(Event))
    assert (event.title, event.description) == ("健康讲座!", "第一段\n第二段")
    assert event.category.name == "健康义诊"
