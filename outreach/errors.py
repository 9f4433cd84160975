"""The one kind of rule error, and the error pages: HTML for people, JSON under /api/; a 500
never shows its details."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    HTTPException,
    InternalServerError,
    NotFound,
    SecurityError,
    ServiceUnavailable,
    TooManyRequests,
    UnprocessableEntity,
)

# Our own wording for each status, in both languages; werkzeug's defaults are English only.
MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see this page."),
    404: _l("The page you asked for does not exist."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This cannot be done as things stand."),
    413: _l("What you sent is too large."),
    415: _l("Please send JSON."),
    422: _l("Some of what you entered is not valid."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again later."),
}

TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Cannot be done"),
    413: _l("Too large"),
    415: _l("Unsupported type"),
    422: _l("Invalid input"),
    429: _l("Too many requests"),
    500: _l("Server error"),
}


NOT_FOUND_MESSAGES = {
    "township": _l("There is no such street or township."),
    "community": _l("There is no such community."),
    "venue": _l("There is no such venue."),
    "organisation": _l("There is no such organisation."),
    "category": _l("There is no such category."),
    "event": _l("There is no such event, or it is not published."),
    "session": _l("There is no such session, or it is not published."),
}


class NotFoundError(LookupError):
    """A slug or id that names nothing the caller may see; answered with 404."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key

    def to_http(self) -> NotFound:
        """The 404 with a message naming what was not found, in the user's language."""
        return NotFound(description=str(NOT_FOUND_MESSAGES.get(self.kind, MESSAGES[404])))


# The kinds of rule errors and the HTTP status each is answered with when it reaches the
# client (the API, the check-in desk, an error page) rather than a form.
KIND_STATUS = {
    "invalid": 422,  # the input breaks a rule: a field to correct
    "full": 409,  # no seat left and no waitlist
    "duplicate": 409,  # done already: the same phone, username, form or file
    "closed": 409,  # the session, event or registration no longer (or not yet) allows it
    "waitlisted": 409,  # a waitlisted registration holds no place: it cannot be checked in
    "unknown": 404,  # a typed code that names nothing here (the check-in desk)
    "bad_request": 400,  # a URL parameter that cannot be read (InvalidInput)
    "limited": 429,  # a cap or a wait (texts or registrations per number, a code's cooldown)
    "unavailable": 503,  # a service the change needs did not answer (the SMS gateway)
}
_HTTP_ERRORS = {
    400: BadRequest,
    404: NotFound,
    409: Conflict,
    422: UnprocessableEntity,
    429: TooManyRequests,
    503: ServiceUnavailable,
}


class RuleError(ValueError):
    """A change or input the rules refuse. The message is for the user (translated when
    raised, or lazily); `field` names the form field at fault (None: the form as a whole);
    `kind` is one of KIND_STATUS and decides the status where no form shows the message.

    Services raise a subclass; views never catch it themselves but call services through
    `outreach.attempt`, and the API answers it as JSON (see `attempt.json_answer`).
    """

    kind = "invalid"  # a subclass may change the default

    def __init__(self, message: object, field: str | None = None, kind: str | None = None):
        super().__init__(message)
        kind = kind or type(self).kind
        if kind not in KIND_STATUS:
            raise ValueError(f"unknown kind of rule error: {kind!r}")
        self.message = message
        self.field = field
        self.kind = kind

    def __str__(self) -> str:
        return str(self.message)

    @property
    def status(self) -> int:
        """The HTTP status of this kind of error."""
        return KIND_STATUS[self.kind]

    @property
    def fields(self) -> dict[str, str]:
        """The message by field name (empty when no field is named)."""
        return {self.field: str(self)} if self.field else {}

    def to_http(self) -> HTTPException:
        """The HTTP error carrying the message, for an error page."""
        return _HTTP_ERRORS[self.status](description=str(self))


class InvalidInput(RuleError):
    """A URL parameter (a filter, a page number, a button's hidden values) that cannot be
    read: answered with a 400 page, since no form is there to show it beside a field."""

    kind = "bad_request"


def wants_json() -> bool:
    """Whether the client is the JSON API."""
    return request.path.startswith("/api/")


# Flask-WTF describes a refused form in English ("The CSRF token is missing."): residents and
# staff read why in their language, with what to do.
FORM_EXPIRED = _l(
    "This form has expired or did not come from this site. Go back, reload the page and "
    "send it again."
)


def _message(error: HTTPException) -> str:
    """The error's own description when a view gave one, else our translated default."""
    if isinstance(error, CSRFError):
        return str(FORM_EXPIRED)
    default = type(error).description
    if error.description and error.description != default:
        return str(error.description)
    return str(MESSAGES.get(error.code or 500, error.name))


def handle_http_error(error: HTTPException):
    """Render any HTTP error in the caller's format and language."""
    code = error.code or 500
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no page can be built for it (links need a host).
        return current_app.response_class("Bad Request: unknown host\n", 400, mimetype="text/plain")
    message = _message(error)
    if wants_json():
        body = {"error": error.name.lower().replace(" ", "_"), "message": message}
        response = jsonify(body)
    else:
        title = str(TITLES.get(code, error.name))
        response = render_template("errors/error.html", code=code, title=title, message=message)
    # The error's own headers (a 405's Allow, which RFC 9110 requires), our body's type.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return response, code, headers


def handle_unexpected(error: Exception):
    """Log the traceback; show only a generic page."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def reject_nul_bytes() -> None:
    """A NUL byte is never valid input, and PostgreSQL refuses it in text: answer 400 early."""
    raw = request.full_path
    if "\x00" in raw or "%00" in raw or any("\x00" in v for v in request.form.values()):
        raise BadRequest()
    if request.is_json and b"\\u0000" in request.get_data(cache=True):
        raise BadRequest()


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.before_request(reject_nul_bytes)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(NotFoundError, lambda error: handle_http_error(error.to_http()))
    # A rule error no view showed on a form (a bad URL parameter, most often).
    app.register_error_handler(RuleError, lambda error: handle_http_error(error.to_http()))
    app.register_error_handler(Exception, handle_unexpected)
