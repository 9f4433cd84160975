"""What the statistics tests share: the period, hand-computed figures, and readers of CSV
files and charts."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from outreach.registrations import services as registrations
from tests import factories

BEFORE = datetime(2025, 8, 10, 2, 0, tzinfo=UTC)  # when residents registered

RANGE = "from=2025-08-01&to=2025-09-30"

RESIDENT = "王秀英"

HEADINGS = [
    "Sessions",
    "Cancelled sessions",
    "Places (sessions with a limit)",
    "Fill rate (%)",
    "Confirmed registrations",
    "People confirmed",
    "Confirmed registrations of ended sessions",
    "Checked in (registrations)",
    "Check-in rate (%)",
    "No-show rate (%)",
    "People checked in",
    "Waitlisted at any time (registrations)",
    "Waitlisted at any time (people)",
    "Moved up from the waitlist",
    "Still waiting (registrations)",
    "Still waiting (people)",
]


# Hand-computed figures, in the order of HEADINGS.
XUANTE = ["1", "0", "30", "20.0", "3", "6", "3", "2", "66.7", "33.3", "5", "0", "0", "0", "0", "0"]

CHENGUANG_DAY = ["1", "0", "40", "15.0", "2", "6", "2", "1", "50.0", "50.0", "4"] + ["0"] * 5

BISHUI = [
    "1",
    "0",
    "20",
    "95.0",
    "6",
    "19",
    "6",
    "3",
    "50.0",
    "50.0",
    "10",
    "3",
    "7",
    "1",
    "1",
    "3",
]

SCREENING = ["3", "0", "90", "34.4", "11", "31", "11", "6", "54.5", "45.5", "19", "3", "7", "1"]

SCREENING += ["1", "3"]

CLINIC = ["1", "0", "0", "", "2", "3", "2", "1", "50.0", "50.0", "1"] + ["0"] * 5

LECTURE = ["0", "1", "0", "", "0", "0", "0", "0", "", "", "0"] + ["0"] * 5

CENTRE_TOTAL = ["4", "1", "90", "34.4", "13", "34", "13", "7", "53.8", "46.2", "20", "3", "7", "1"]

CENTRE_TOTAL += ["1", "3"]

ECOLOGY = ["1", "0", "0", "", "2", "3", "2", "0", "0.0", "100.0", "0"] + ["0"] * 5


def text_of(response) -> str:
    return response.get_data(as_text=True)


def book(event_session, party: int, *, slot=None, name: str = RESIDENT):
    """A resident's registration, made before the session (which now lies in the past)."""
    request = registrations.RegistrationRequest(
        name=name,
        phone=factories.phone(),
        party_size=party,
        consent=True,
        slot_id=slot.id if slot else None,
    )
    return registrations.register(event_session.id, request, now=BEFORE)


def cancel(registration) -> None:
    registrations.cancel(registration, now=BEFORE + timedelta(hours=1))


def arrive(registration, staff) -> None:
    at = registration.event_session.starts_at + timedelta(minutes=10)
    registrations.check_in(registration, actor=staff, now=at)


def read_csv(response) -> tuple[list[str], list[list[str]]]:
    """The heading and rows of a CSV download, after checking it is one."""
    assert response.status_code == 200, text_of(response)[:300]
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    return table[0], table[1:]


def figures_by_label(response, labels: int = 1) -> dict[str, list[str]]:
    """Each row's figures by its first cell; the measure columns follow `labels` label ones."""
    heading, rows = read_csv(response)
    assert heading[labels:] == HEADINGS
    return {row[0]: row[labels:] for row in rows}


def chart_labels(page: str) -> list[str]:
    """The row labels of the community chart, top to bottom, whole (as the bars' tooltips
    say them: a label too long for the chart's margin is cut there)."""
    chart = re.search(r'<svg[^>]*id="chart-communities".*?</svg>', page, re.S).group(0)
    return re.findall(r"<title>([^<]+): (?:People confirmed|报名成功人数) \d+</title>", chart)


def without_token(page: str) -> str:
    """A page without its CSRF token, which is signed with the time."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)
