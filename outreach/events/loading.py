"""The one way to load a session with what every page shows of it: its event (organiser and
category) and its places (venue, township, community), in the query that loads the session.

`via` is the path of relationships from the entity a statement selects to the session, when
that is not the session itself (a registration's, a message's registration's). `joined`
says the statement joins the session's event and venue itself, to filter or sort by them:
they are then read from those joins rather than joined a second time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.interfaces import LoaderOption

from outreach.events.models import Event, EventSession
from outreach.places.models import Venue


def _chain(joined: bool, *path: Any) -> Any:
    """contains_eager (joined) or joinedload along a path of relationships."""
    option = (contains_eager if joined else joinedload)(path[0])
    for attribute in path[1:]:
        option = option.contains_eager(attribute) if joined else option.joinedload(attribute)
    return option


def session_places(*via: Any, joined: bool = False) -> tuple[LoaderOption, ...]:
    """Loader options for a session's venue with its township and community."""
    return (
        _chain(joined, *via, EventSession.venue).joinedload(Venue.township),
        _chain(joined, *via, EventSession.venue).joinedload(Venue.community),
    )


def event_and_places(*via: Any, joined: bool = False) -> tuple[LoaderOption, ...]:
    """Loader options for a session's event with its organiser and category, and its places."""
    return (
        _chain(joined, *via, EventSession.event).joinedload(Event.organisation),
        _chain(joined, *via, EventSession.event).joinedload(Event.category),
        *session_places(*via, joined=joined),
    )
