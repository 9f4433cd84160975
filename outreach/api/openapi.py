"""The API's OpenAPI 3.1 document, built from the code that serves it: the paths from the
blueprint's URL rules (an `<id:…>` part with the converter's bounds), the query parameters
from the declarations the views parse (`FILTER_QUERY`, `per_page_parameter`), the request
bodies from `schemas` (the declarations that validate them), and each operation's answers
from `OPERATIONS` below. A route with no entry there fails `document()` (and the suite), so
none goes unpublished. Texts are in the caller's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from outreach.api import schemas
from outreach.contract import Body, Parameter
from outreach.database import MAX_ID
from outreach.errors import MESSAGES, NOT_FOUND_MESSAGES
from outreach.events.forms import FILTER_QUERY
from outreach.events.models import EventStatus, SessionStatus
from outreach.places.models import TownshipKind
from outreach.registrations.models import RegistrationStatus

PREFIX = "/api/v1"
VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """An object schema: every field in `required` is always present."""
    return {
        "type": "object",
        "properties": {**required, **optional},
        "required": list(required),
    }


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def _enum(kind) -> dict[str, Any]:
    return {"type": "string", "enum": [member.value for member in kind]}


_STRING = {"type": "string"}
_TEXT_EN = {"type": ["string", "null"]}
_INTEGER = {"type": "integer"}
_SEATS = {"type": ["integer", "null"], "minimum": 0}
_TIME = {"type": "string", "format": "date-time"}
_URL = {"type": "string", "format": "uri"}
_NAMED = {"slug": _STRING, "name": _STRING, "name_en": _TEXT_EN}

# What outreach.api.serialise builds; the fuzz test checks every answer against these.
RESOURCES: dict[str, dict[str, Any]] = {
    "Named": _object(_NAMED),
    "Venue": _object(
        {
            **_NAMED,
            "id": _INTEGER,
            "address": _STRING,
            "address_en": _TEXT_EN,
            "latitude": {"type": ["number", "null"]},
            "longitude": {"type": ["number", "null"]},
        }
    ),
    "Slot": _object(
        {
            "id": _INTEGER,
            "label": _STRING,
            "label_en": _TEXT_EN,
            "starts_at": _or_null(_TIME),
            "ends_at": _or_null(_TIME),
            "capacity": _SEATS,
            "seats_left": _SEATS,
        }
    ),
    "Session": _object(
        {
            "id": _INTEGER,
            "event_id": _INTEGER,
            "starts_at": _TIME,
            "ends_at": _TIME,
            "all_day": {"type": "boolean"},
            "venue": _ref("Venue"),
            "community": _or_null(_ref("Named")),
            "township": _or_null(_ref("Named")),
            "capacity": _SEATS,
            "seats_left": _SEATS,
            "slots": {"type": "array", "items": _ref("Slot")},
            "status": _enum(SessionStatus),
            "cancellation_reason": _TEXT_EN,
            "url": _URL,
        }
    ),
    "Event": _object(
        {
            "id": _INTEGER,
            "title": _STRING,
            "title_en": _TEXT_EN,
            "summary": _STRING,
            "summary_en": _TEXT_EN,
            "description": _STRING,
            "description_en": _TEXT_EN,
            "audience": _STRING,
            "audience_en": _TEXT_EN,
            "status": _enum(EventStatus),
            "cancellation_reason": _TEXT_EN,
            "organisation": _ref("Named"),
            "category": _object({**_NAMED, "colour": _STRING}),
            "url": _URL,
            "sessions": {"type": "array", "items": _ref("Session")},
            # In a page of the list: true when the event has more matching sessions than the
            # few it carries (its own resource has them all); always false there.
            "more_sessions": {"type": "boolean"},
        }
    ),
    "EventPage": _object(
        {
            "items": {"type": "array", "items": _ref("Event")},
            "per_page": _INTEGER,
            # The next page's absolute URL (its cursor), null on the last page.
            "next": {"type": ["string", "null"], "format": "uri"},
        }
    ),
    "SessionWithEvent": {
        "allOf": [
            _ref("Session"),
            _object({"event": _object({"id": _INTEGER, "title": _STRING, "title_en": _TEXT_EN})}),
        ]
    },
    "Places": _object(
        {
            "items": {
                "type": "array",
                "items": _object(
                    {
                        **_NAMED,
                        "kind": _enum(TownshipKind),
                        "communities": {
                            "type": "array",
                            "items": _object(
                                {**_NAMED, "venues": {"type": "array", "items": _ref("Venue")}}
                            ),
                        },
                        "venues": {"type": "array", "items": _ref("Venue")},
                    }
                ),
            },
            "per_page": _INTEGER,
            # The next page's absolute URL (its cursor), null on the last page.
            "next": {"type": ["string", "null"], "format": "uri"},
        }
    ),
    "Registration": _object(
        {
            "code": _STRING,
            "status": _enum(RegistrationStatus),
            "waitlist_position": {"type": ["integer", "null"], "minimum": 1},
            "party_size": _INTEGER,
            "name": _STRING,
            "slot": _or_null(_object({"id": _INTEGER, "label": _STRING, "label_en": _TEXT_EN})),
            "session_id": _INTEGER,
            "event_id": _INTEGER,
            "manage_token": _STRING,
            "manage_url": _URL,
            "created_at": _TIME,
        }
    ),
    # outreach.errors.handle_http_error and outreach.attempt.json_answer.
    "Error": _object(
        {"error": _STRING, "message": _STRING},
        field={"type": ["string", "null"]},
        fields={"type": "object", "additionalProperties": _STRING},
        retry_after={"type": "integer", "minimum": 1},
    ),
    "PhoneCode": _object(
        {
            "expires_in": {"type": "integer", "minimum": 0},
            "retry_after": {"type": "integer", "minimum": 0},
        }
    ),
}


@dataclass(frozen=True)
class Operation:
    """What the document says of one view: a summary, its answers {status: (schema name or
    None for no body, description)}, its query parameters and its JSON body, if any."""

    summary: Any
    answers: dict[int, tuple[str | None, Any]]
    query: tuple[Parameter, ...] = ()
    body: Body | None = None
    headers: dict[int, dict[str, Any]] = field(default_factory=dict)
    links: dict[int, dict[str, str]] = field(default_factory=dict)  # {status: {name: operation}}


def _errors(*answers: int | tuple[int, Any]) -> dict[int, tuple[str, Any]]:
    """Error answers: a status (with the site's own message for it) or (status, description)."""
    described = {}
    for answer in answers:
        status, text = answer if isinstance(answer, tuple) else (answer, MESSAGES[answer])
        described[status] = ("Error", text)
    return described


_BAD_QUERY = _l("A query parameter cannot be read (a date, per_page or the cursor).")
_REFUSED = _l(
    "The registration is refused: the session is full with no waitlist, the phone is "
    "registered already, or registration is closed. `error` says which: full, duplicate, closed."
)
_INVALID_FIELDS = _l(
    "A field is invalid: `fields` gives each invalid field's message, `field` the first one."
)
_NO_SUCH_REGISTRATION = _l("No registration has this token.")
_NOT_JSON = _l("The body is not JSON, is nested too deeply, or holds a NUL character.")
_LIMITED = _l(
    "Too many requests from this address or for this phone, or a code was asked for too "
    "recently: `retry_after` (also the Retry-After header) says how many seconds to wait."
)

# Every view of the API, by endpoint. Statuses each view can answer with, and the schema of
# each answer's body (outreach.api.serialise builds them; errors are outreach.errors').
OPERATIONS: dict[str, Operation] = {
    "api.events": Operation(
        _l("Upcoming public events matching the filters, one page at a time"),
        {
            200: (
                "EventPage",
                _l(
                    "A page of events, each with its first few upcoming sessions that match "
                    "(`more_sessions` tells when there are more: the event's own resource "
                    "lists them all)."
                ),
            ),
            **_errors(
                (400, _BAD_QUERY), (404, _l("No place, category or organisation has this slug."))
            ),
        },
        query=FILTER_QUERY,
    ),
    "api.event": Operation(
        _l("One public event with all its sessions"),
        {200: ("Event", _l("The event.")), **_errors((404, NOT_FOUND_MESSAGES["event"]))},
    ),
    "api.event_session": Operation(
        _l("One session of a public event"),
        {
            200: ("SessionWithEvent", _l("The session, with its event's id and title.")),
            **_errors((404, NOT_FOUND_MESSAGES["session"])),
        },
    ),
    "api.places": Operation(
        _l("Townships with their communities and venues"),
        {
            200: ("Places", _l("A page of townships, each with its communities and venues.")),
            **_errors((400, _BAD_QUERY)),
        },
    ),
    "api.create_registration": Operation(
        _l("Register for a session"),
        {
            201: (
                "Registration",
                _l("Registered: confirmed, or on the waitlist when the session is full."),
            ),
            **_errors(
                (400, _NOT_JSON),
                (404, NOT_FOUND_MESSAGES["session"]),
                (409, _REFUSED),
                413,
                415,
                (422, _INVALID_FIELDS),
                (429, _LIMITED),
            ),
        },
        body=schemas.REGISTRATION,
        headers={201: {"Location": _l("The registration's address in this API.")}},
        links={201: {"read": "registration", "cancel": "cancel_registration"}},
    ),
    "api.create_phone_code": Operation(
        _l("Text a one-time code to a phone (step one of registering while phones are verified)"),
        {
            202: ("PhoneCode", _l("The code is sent; it is valid for expires_in seconds.")),
            **_errors(
                (400, _NOT_JSON),
                (404, _l("Phones are not verified on this site: register without a code.")),
                413,
                415,
                (422, _INVALID_FIELDS),
                (429, _LIMITED),
                (503, _l("The SMS gateway did not take the text; try again later.")),
            ),
        },
        body=schemas.PHONE_CODE,
    ),
    "api.registration": Operation(
        _l("A registration, to whoever holds its token"),
        {
            200: ("Registration", _l("The registration.")),
            **_errors(400, (404, _NO_SUCH_REGISTRATION)),
        },
    ),
    "api.cancel_registration": Operation(
        _l("Cancel a registration; its seats go to the waitlist"),
        {
            200: ("Registration", _l("Cancelled (or cancelled already).")),
            **_errors(400, (404, _NO_SUCH_REGISTRATION), (429, _LIMITED)),
        },
    ),
    "api.openapi": Operation(
        _l("This document"),
        {200: (None, _l("The OpenAPI 3.1 document of this API, in the caller's language."))},
    ),
}

_PATH_PARAMETERS = {
    "event_id": _l("The event's id."),
    "session_id": _l("The session's id."),
    "token": _l("The registration's secret token (its manage link ends with it)."),
}
_RULE_PART = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _path(rule: str) -> str:
    """A Werkzeug rule as an OpenAPI path: /events/<id:event_id> → /events/{event_id}."""
    return _RULE_PART.sub(lambda match: "{" + match["name"] + "}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    parameters = []
    for match in _RULE_PART.finditer(rule):
        if match["converter"] == "id":  # outreach.database.IdConverter
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        else:
            schema = {"type": "string"}
        parameters.append(
            {
                "name": match["name"],
                "in": "path",
                "required": True,
                "description": str(_PATH_PARAMETERS.get(match["name"], "")),
                "schema": schema,
            }
        )
    return parameters


def _query_parameter(parameter: Parameter) -> dict[str, Any]:
    return {
        "name": parameter.name,
        "in": "query",
        "required": False,
        "description": str(parameter.description),
        "schema": parameter.schema,
    }


def _answer(schema: str | None, description: Any, headers: dict, links: dict) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": str(description)}
    if schema is not None:
        answer["content"] = {"application/json": {"schema": _ref(schema)}}
    else:
        answer["content"] = {"application/json": {"schema": {"type": "object"}}}
    if headers:
        answer["headers"] = {
            name: {"description": str(text), "required": True, "schema": _STRING}
            for name, text in headers.items()
        }
    if links:  # what a client (or a stateful fuzzer) does next with the token it got
        answer["links"] = {
            name: {
                "operationId": operation,
                "parameters": {"token": "$response.body#/manage_token"},
            }
            for name, operation in links.items()
        }
    return answer


def _operation(endpoint: str, rule: str, method: str) -> dict[str, Any]:
    described = OPERATIONS.get(endpoint)
    if described is None:
        raise LookupError(f"{method} {rule} ({endpoint}) is not described in OPERATIONS")
    query = described.query
    if endpoint == "api.events":
        query = (*query, schemas.per_page_parameter(), schemas.CURSOR_PARAMETER)
    elif endpoint == "api.places":
        query = (*query, schemas.places_per_page_parameter(), schemas.CURSOR_PARAMETER)
    operation: dict[str, Any] = {
        "operationId": endpoint.removeprefix("api."),
        "summary": str(described.summary),
        "parameters": _path_parameters(rule) + [_query_parameter(p) for p in query],
        "responses": {
            str(status): _answer(
                schema,
                text,
                described.headers.get(status, {}),
                described.links.get(status, {}),
            )
            for status, (schema, text) in sorted(described.answers.items())
        },
    }
    if described.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": described.body.schema()}},
        }
    return operation


def api_rules():
    """The URL rules of the API, as (rule, method) pairs, HEAD and OPTIONS left out."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, in the current language."""
    paths: dict[str, dict[str, Any]] = {}
    for rule, method in api_rules():
        path = _path(rule.rule.removeprefix(PREFIX))
        paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, rule.rule, method)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": str(_l("Community Outreach API")),
            "version": VERSION,
            "description": str(
                _l(
                    "Public events, sessions and places to read; registrations to make, "
                    "read and cancel. Texts with an English form come in both languages: "
                    "the Chinese under the plain name, the English under the same name "
                    "with _en (null when there is none)."
                )
            ),
        },
        "servers": [{"url": PREFIX}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": RESOURCES},
    }
