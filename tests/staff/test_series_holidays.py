"""Repeat rules that know China's official calendar, and the administrators' page of it."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from outreach.database import db
from outreach.events import holidays
from outreach.events.models import DayKind, EventSeries, OfficialDay
from tests.staff.support import (
    audit_entries,
    local_day,
    page_text,
    save_series,
    series_form,
    series_sessions,
    series_url,
)
from tests.web import post_form

HOLIDAYS_URL = "/staff/holidays?lang=en"


def zh(url: str) -> str:
    return url.replace("lang=en", "lang=zh")


def official_days() -> list[tuple[date, str, str]]:
    db.session.expire_all()
    found = db.session.scalars(select(OfficialDay).order_by(OfficialDay.day))
    return [(item.day, item.kind.value, item.name) for item in found]


def preview_in_chinese(client, clinic, **fields) -> str:
    """The text of the series page previewing `fields` over 2026's official calendar."""
    holidays.seed_from_library({2026})
    form = series_form(clinic, preview="1", **fields)
    form.pop("save")
    return page_text(post_form(client, zh(series_url(clinic)), form))


# The four weeks around National Day 2026, following the working calendar.
AROUND_NATIONAL_DAY = {
    "first_day": "2026-09-14",
    "ends": "until",
    "count": "",
    "until": "2026-10-11",
    "working_calendar": "y",
}


def test_wednesday_series_over_national_day_skips_it_and_says_why(client, weekly_clinic):
    text = preview_in_chinese(
        client, weekly_clinic, first_day="2026-09-16", weekdays=["2"], skip_holidays="y"
    )
    assert "预览：共 3 个日期" in text
    assert "10月7日 星期三 国庆节，已跳过" in text
    assert "2026年9月30日" in text and "2026年10月7日" not in text
    assert "节假日安排尚未录入" not in text.split("预览")[1].split("</section>")[0]


def test_working_calendar_series_includes_the_make_up_sunday(client, weekly_clinic):
    weekdays = ["0", "1", "2", "3", "4"]
    text = preview_in_chinese(client, weekly_clinic, weekdays=weekdays, **AROUND_NATIONAL_DAY)
    # 2026: National Day 1–7 October, worked back on Sunday 20 September and Saturday
    # 10 October; Mid-autumn Friday 25 September.
    assert "9月20日 星期日 调休上班日（国庆节），已加入" in text
    assert "10月10日 星期六 调休上班日（国庆节），已加入" in text
    assert "9月25日 星期五 中秋节，已跳过" in text
    assert "10月1日 星期四 国庆节，已跳过" in text
    assert "预览：共 16 个日期" in text  # 20 weekdays, 6 of them holidays, 2 make-up days


def test_working_calendar_adds_no_make_up_days_to_a_wednesday_series(client, weekly_clinic):
    text = preview_in_chinese(client, weekly_clinic, weekdays=["2"], **AROUND_NATIONAL_DAY)
    # A make-up Sunday or Saturday stands in for a whole working week's day off, not for a
    # Wednesday clinic: only a series held every working day gains them.
    assert "调休上班日（国庆节），已加入" not in text
    assert "10月7日 星期三 国庆节，已跳过" in text
    assert "预览：共 3 个日期" in text  # 16, 23 and 30 September


def test_regenerating_after_an_import_keeps_booked_sessions(client, weekly_clinic, make, app):
    plan = {"first_day": "2031-09-24", "weekdays": ["2"], "count": "3", "skip_holidays": "y"}
    first = save_series(client, weekly_clinic, **plan)
    assert first.status_code == 302
    warned = page_text(client.get(series_url(weekly_clinic)))
    assert "The public holidays of 2031 are not known yet" in warned
    sessions = series_sessions(weekly_clinic)
    assert [local_day(s) for s in sessions] == [
        date(2031, 9, 24),
        date(2031, 10, 1),
        date(2031, 10, 8),
    ]
    make.registration(sessions[1])
    holidays.import_days("2031-10-01 holiday 国庆节\n2031-10-08 holiday 国庆节", None)

    again = save_series(client, weekly_clinic, **plan)
    assert again.status_code == 302
    after = page_text(client.get(series_url(weekly_clinic)))
    assert "removed: 1, kept as they were: 1" in after
    assert "residents have registered" in after
    assert [local_day(s) for s in series_sessions(weekly_clinic)] == [
        date(2031, 9, 24),
        date(2031, 10, 1),
    ]
    assert db.session.scalar(select(EventSeries)).skip_holidays is True


def test_new_series_skips_holidays_and_warns_of_unknown_years(client, weekly_clinic):
    text = page_text(client.get(series_url(weekly_clinic)))
    assert '<input checked id="skip_holidays"' in text
    assert '<input id="working_calendar"' in text
    assert "are not known yet" in text
    form = series_form(weekly_clinic, first_day="2031-09-24", skip_holidays="y", preview="1")
    form.pop("save")
    preview = page_text(post_form(client, series_url(weekly_clinic), form))
    assert "The public holidays of 2031 are not known yet" in preview


def test_admin_adds_and_removes_a_day_audited(client, admin):
    response = post_form(
        client,
        "/staff/holidays/days?lang=en",
        {"day": "2031-10-01", "kind": "holiday", "name": "国庆节"},
    )
    assert response.status_code == 302
    assert official_days() == [(date(2031, 10, 1), "holiday", "国庆节")]
    page = page_text(client.get("/staff/holidays?lang=en&year=2031"))
    assert "National Day" in page
    item = db.session.scalar(select(OfficialDay))
    removed = post_form(client, f"/staff/holidays/days/{item.id}/delete?lang=en")
    assert removed.status_code == 302
    assert official_days() == []
    assert [e.action for e in audit_entries(target_type="official_day")] == ["create", "delete"]


def test_admin_imports_a_list_and_a_bad_line_changes_nothing(client, admin):
    good = "# 2031\n2031-01-01 holiday 元旦\n\n2031-01-05 班 元旦\n"
    response = post_form(client, "/staff/holidays/import?lang=en", {"text": good})
    assert response.status_code == 302
    assert official_days() == [
        (date(2031, 1, 1), "holiday", "元旦"),
        (date(2031, 1, 5), "workday", "元旦"),
    ]
    assert audit_entries("import")[-1].changes == {"official_days": {"before": None, "after": 2}}

    bad = "2031-02-01 holiday 春节\n2031-02-30 holiday 春节\n"
    upload = {"file": (io.BytesIO(bad.encode()), "2031.txt"), "text": ""}
    refused = post_form(client, "/staff/holidays/import?lang=en", upload)
    assert refused.status_code == 200
    assert "Line 2: “2031-02-30” is not a date; use YYYY-MM-DD." in page_text(refused)
    assert len(official_days()) == 2
    wrong_kind = post_form(client, "/staff/holidays/import?lang=en", {"text": "2031-02-01 day"})
    assert "Line 1: “day” is neither holiday nor workday." in page_text(wrong_kind)


def test_only_administrators_edit_the_official_calendar(client, weekly_clinic):
    assert client.get(HOLIDAYS_URL).status_code == 403
    refused = post_form(client, "/staff/holidays/import?lang=en", {"text": "2031-01-01 holiday"})
    assert refused.status_code == 403
    assert official_days() == []


def test_seeding_from_the_package_is_idempotent(runner):
    first = runner.invoke(args=["seed-holidays"])
    assert "2026" in first.output
    assert DayKind.WORKDAY.value in {kind for _, kind, _ in official_days()}
    again = runner.invoke(args=["seed-holidays"])
    assert "years added: none" in again.output
