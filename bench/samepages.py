"""The demo's event pages as users get them, written to files to compare two versions of the
code byte for byte (issue 14: a faster cold render must not change what users see).

    python -m bench.samepages DATABASE_URL OUT_DIR [--seed] [--instant ISO]

DATABASE_URL holds the demo (`--seed` loads it into an empty database first, and prints
when). Every event page is rendered with the page cache bypassed at one fixed instant
(`--instant`: give both runs the same one, shortly after seeding), in Chinese and English,
with elderly mode and high contrast off and on; plus each event's page answering a
registration posted empty to its first two sessions (the forms' errors). CSRF is off, so
the pages hold no token. Run it with the old code and the new into two directories and
compare them with `diff -r`.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from flask import Flask
from sqlalchemy import select

from outreach import create_app, database, demo
from outreach.database import db
from outreach.events.models import Event
from outreach.pages import serving

VARIANTS = (
    ("zh", {}),
    ("en", {"lang": "en"}),
    ("zh-elder", {"elder": "1"}),
    ("en-elder", {"lang": "en", "elder": "1"}),
    ("zh-contrast", {"contrast": "high"}),
    ("en-elder-contrast", {"lang": "en", "elder": "1", "contrast": "high"}),
)


def _frozen(instant: datetime) -> type[datetime]:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return instant if tz is None else instant.astimezone(tz)

    return Frozen


def _app(url: str) -> Flask:
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "samepages",
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "127.0.0.1",
            "WTF_CSRF_ENABLED": False,
        }
    )


def dump(url: str, out: Path, instant: datetime) -> int:
    """Write every page; answer how many."""
    app = _app(url)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    with (
        mock.patch.object(database, "datetime", _frozen(instant)),
        mock.patch.object(serving, "cached", lambda parts, version, build, kind: build()),
    ):
        with app.app_context():
            events = db.session.execute(select(Event.id)).scalars().all()
            first_sessions = {
                event.id: [s.id for s in event.sessions]
                for event in db.session.scalars(select(Event))
            }
            db.session.remove()
        for name, cookies in VARIANTS:
            client = app.test_client()
            for key, value in cookies.items():
                client.set_cookie(key, value)
            for event_id in sorted(events):
                response = client.get(f"/events/{event_id}")
                (out / f"event-{event_id}-{name}.html").write_bytes(
                    f"{response.status_code}\n".encode() + response.get_data()
                )
                written += 1
                for session_id in first_sessions[event_id][:2]:
                    posted = client.post(f"/sessions/{session_id}/register", data={})
                    (out / f"posted-{event_id}-{session_id}-{name}.html").write_bytes(
                        f"{posted.status_code}\n".encode() + posted.get_data()
                    )
                    written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", action="store_true")
    parser.add_argument("--instant", default=None)
    arguments = parser.parse_args(argv)
    if arguments.seed:
        import flask_migrate

        app = _app(arguments.url)
        with app.app_context():
            flask_migrate.upgrade()
            demo.seed()
            db.session.commit()
        print("seeded at", database.utcnow().isoformat())
        return 0
    instant = datetime.fromisoformat(arguments.instant or "")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    print(dump(arguments.url, arguments.out, instant), "pages written to", arguments.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
