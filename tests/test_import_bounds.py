"""Imports that cannot tie up a worker: hostile time zones, budgets, and text that fits.

A VTIMEZONE whose rule repeats every second, a file of thousands of events, or a 2 MB
description must each end in a clear report within seconds, and change nothing when the
import is refused. The seconds are this process's CPU time, so that a machine busy with other
work does not fail them; the importer's own budget (OUTREACH_IMPORT_SECONDS) is wall time.
"""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.database import db
from outreach.events import importer
from outreach.events.models import Event, EventSession
from tests.factories import SHANGHAI
from tests.test_import import calendar, cli, ics, importing_centre, text_of, upload, vevent
from tests.web import post_form

__all__ = ["cli", "ics", "importing_centre"]  # fixtures shared with tests/test_import.py

DAY = (datetime.now(SHANGHAI) + timedelta(days=20)).strftime("%Y%m%d")


def hostile_zone(tzid: str = "Evil/Zone", frequency: str = "SECONDLY") -> str:
    """A VTIMEZONE whose observance starts in 1601 and repeats every second (or minute...)."""
    return "\r\n".join(
        [
            "BEGIN:VTIMEZONE",
            f"TZID:{tzid}",
            "BEGIN:STANDARD",
            "DTSTART:16010101T000000",
            f"RRULE:FREQ={frequency}",
            "TZOFFSETFROM:+0800",
            "TZOFFSETTO:+0800",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:16010101T000001",
            f"RRULE:FREQ={frequency};INTERVAL=2",
            "TZOFFSETFROM:+0800",
            "TZOFFSETTO:+0900",
            "END:DAYLIGHT",
            "END:VTIMEZONE",
        ]
    )


def timed_event(tzid: str, uid: str = "zoned@example.org", title: str = "社区讲座") -> str:
    return vevent(
        f"UID:{uid}",
        f"SUMMARY:{title}",
        f"DTSTART;TZID={tzid}:{DAY}T090000",
        f"DTEND;TZID={tzid}:{DAY}T100000",
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def local_start() -> str:
    only = db.session.scalars(select(EventSession)).one()
    return only.starts_at.astimezone(SHANGHAI).strftime("%H:%M")


# ---------------------------------------------------------------------------------------------
# Time zones that repeat every second


SECONDLY = calendar(hostile_zone(), timed_event("Evil/Zone"))


def test_a_secondly_time_zone_upload_ends_in_seconds_with_a_clear_report(
    client, importing_centre, login_as
):
    assert len(SECONDLY) < 1000
    login_as(importing_centre["organiser"])
    began = time.process_time()
    response = upload(client, importing_centre, SECONDLY)
    took = time.process_time() - began
    text = text_of(response)
    assert took < 3, took
    assert response.status_code == 200, text[:2000]
    assert "The file has been imported." in text
    assert "The time zone “Evil/Zone” is unknown" in text
    assert count(Event) == 1 and local_start() == "09:00"  # read in the site's zone


def test_a_secondly_time_zone_is_reported_in_chinese(client, importing_centre, login_as):
    login_as(importing_centre["organiser"])
    form = {
        "organisation": "centre",
        "venue": str(importing_centre["venue"].id),
        "category": "health",
        "file": (io.BytesIO(SECONDLY), "calendar.ics"),
    }
    response = post_form(client, "/staff/import?lang=zh", form, content_type="multipart/form-data")
    assert "时区“Evil/Zone”无法识别" in text_of(response)


@pytest.mark.parametrize("frequency", ["SECONDLY", "MINUTELY", "HOURLY"])
def test_a_real_zone_with_a_sub_daily_rule_is_read_as_that_zone(cli, importing_centre, frequency):
    data = calendar(hostile_zone("America/New_York", frequency), timed_event("America/New_York"))
    began = time.process_time()
    result = cli(data)
    assert time.process_time() - began < 3
    assert result.exit_code == 0, result.output
    assert "Events: 1 created" in result.output
    assert "unknown" not in result.output
    only = db.session.scalars(select(EventSession)).one()
    new_york = only.starts_at.astimezone(importer.ZoneInfo("America/New_York"))
    assert new_york.strftime("%H:%M") == "09:00"


def test_a_windows_zone_name_is_mapped_to_its_real_zone(cli, importing_centre):
    data = calendar(
        hostile_zone("China Standard Time"),
        timed_event("Tokyo Standard Time"),
    )
    result = cli(data)
    assert result.exit_code == 0, result.output
    assert "unknown" not in result.output
    only = db.session.scalars(select(EventSession)).one()
    assert only.starts_at.astimezone(importer.ZoneInfo("Asia/Tokyo")).hour == 9


def test_the_command_line_survives_a_secondly_time_zone(cli, importing_centre):
    began = time.process_time()
    result = cli(SECONDLY)
    assert time.process_time() - began < 3
    assert result.exit_code == 0, result.output
    assert "Events: 1 created" in result.output
    assert "The time zone “Evil/Zone” is unknown" in result.output


# ---------------------------------------------------------------------------------------------
# Budgets


def many_events(number: int, description: str = "") -> bytes:
    """`number` one-off VEVENTs, as a large exported calendar holds."""
    events = [
        vevent(
            f"UID:bulk-{index}@example.org",
            f"SUMMARY:讲座 {index}",
            *([f"DESCRIPTION:{description}"] if description else []),
            f"DTSTART;TZID=Asia/Shanghai:{DAY}T090000",
            f"DTEND;TZID=Asia/Shanghai:{DAY}T100000",
        )
        for index in range(number)
    ]
    return calendar(*events)


def test_an_import_past_its_session_budget_is_refused_and_changes_nothing(
    client, importing_centre, login_as, app
):
    app.config["IMPORT_MAX_SESSIONS"] = 50
    login_as(importing_centre["organiser"])
    response = upload(client, importing_centre, many_events(60))
    text = text_of(response)
    assert response.status_code == 422
    assert "more than 50 sessions" in text
    assert count(Event) == 0 and count(EventSession) == 0


def test_a_repeat_rule_counts_against_the_budget(cli, importing_centre, app):
    app.config["IMPORT_MAX_SESSIONS"] = 100
    data = calendar(
        vevent(
            "UID:daily@example.org",
            "SUMMARY:每日晨练",
            f"DTSTART;TZID=Asia/Shanghai:{DAY}T070000",
            f"DTEND;TZID=Asia/Shanghai:{DAY}T080000",
            "RRULE:FREQ=DAILY",
        )
    )
    result = cli(data)
    assert result.exit_code != 0
    assert "more than 100 sessions" in result.output
    assert count(Event) == 0


def test_an_import_past_its_time_budget_is_refused_and_changes_nothing(
    client, importing_centre, login_as, app
):
    app.config["IMPORT_SECONDS"] = 0.0001
    login_as(importing_centre["organiser"])
    response = upload(client, importing_centre, many_events(30))
    text = text_of(response)
    assert response.status_code == 422
    assert "took too long" in text
    assert count(Event) == 0 and count(EventSession) == 0


def test_the_time_budget_covers_the_write_phase(cli, importing_centre, app, monkeypatch):
    app.config["IMPORT_SECONDS"] = 5
    now = [0.0]
    monkeypatch.setattr(importer, "_clock", lambda: now[0])
    read = importer.read_entries

    def read_then_run_late(*args, **kwargs):
        entries = read(*args, **kwargs)
        now[0] = 100.0  # reading was quick; time runs out while writing
        return entries

    monkeypatch.setattr(importer, "read_entries", read_then_run_late)
    result = cli(many_events(3))
    assert result.exit_code != 0
    assert "took too long" in result.output
    assert count(Event) == 0


def test_a_rule_that_never_matches_cannot_outrun_the_time_budget(cli, importing_centre, app):
    """February 30th: the rule library searches to the year 9999 (seconds per event)."""
    app.config["IMPORT_SECONDS"] = 1
    never = [
        vevent(
            f"UID:never-{index}@example.org",
            "SUMMARY:从不",
            f"DTSTART:{DAY}T090000",
            "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        )
        for index in range(3)
    ]
    began = time.process_time()
    result = cli(calendar(*never))
    assert time.process_time() - began < 3
    assert result.exit_code != 0
    assert "took too long" in result.output
    assert count(Event) == 0


def test_a_large_export_ends_in_a_clear_report_within_seconds(client, importing_centre, login_as):
    """1.95 MB, 13,889 VEVENTs, the default budgets: refused quickly, nothing written."""
    events = [
        vevent(f"UID:b{i}", f"SUMMARY:Talk {i}", f"DTSTART:{DAY}T090000", f"DTEND:{DAY}T100000")
        for i in range(13_889)
    ]
    pad = 1_950_000 - len(calendar(*events))
    events[0] = events[0].replace("END:VEVENT", f"DESCRIPTION:{'x' * (pad - 14)}\r\nEND:VEVENT")
    data = calendar(*events)
    assert 1_949_000 < len(data) <= 1_951_000 <= importer.MAX_FILE_BYTES
    login_as(importing_centre["organiser"])
    began = time.process_time()
    response = upload(client, importing_centre, data)
    took = time.process_time() - began
    text = text_of(response)
    assert took < 10, took
    assert response.status_code == 422
    assert "more than" in text and "split it into smaller files" in text
    assert count(Event) == 0


# ---------------------------------------------------------------------------------------------
# The editor's length limits


def test_over_long_imported_text_is_cut_to_the_editors_limits_and_reported(
    client, importing_centre, login_as
):
    data = calendar(
        vevent(
            "UID:long@example.org",
            "SUMMARY:" + "长" * 5000,
            "DESCRIPTION:" + "说明" * 300_000,
            f"DTSTART;TZID=Asia/Shanghai:{DAY}T090000",
            f"DTEND;TZID=Asia/Shanghai:{DAY}T100000",
        )
    )
    assert len(data) > 1_000_000
    login_as(importing_centre["organiser"])
    response = upload(client, importing_centre, data)
    text = text_of(response)
    assert response.status_code == 200, text[:2000]
    event = db.session.scalars(select(Event)).one()
    assert len(event.title) == 200
    assert len(event.description) == importer.DESCRIPTION_LENGTH == 20_000
    assert "Its description was cut to 20000 characters." in text
    assert "Its title was cut to 200 characters." in text


def test_a_realistic_file_within_the_default_budgets_is_imported(cli, importing_centre):
    """200 weekly series of a year (about 10,000 lines): imported whole, well within budget."""
    data = calendar(
        *(
            vevent(
                f"UID:weekly-{index}@example.org",
                f"SUMMARY:每周活动 {index}",
                "DESCRIPTION:" + "欢迎参加。" * 40,
                f"DTSTART;TZID=Asia/Shanghai:{DAY}T090000",
                f"DTEND;TZID=Asia/Shanghai:{DAY}T100000",
                "RRULE:FREQ=WEEKLY;COUNT=20",
            )
            for index in range(200)
        )
    )
    began = time.process_time()
    result = cli(data)
    took = time.process_time() - began
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Events: 200 created")
    assert count(EventSession) == 4000
    assert took < 10, took
