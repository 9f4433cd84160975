"""Error pages: HTML for people, JSON under /api/; a 500 never shows its details."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, NotFound

# Our own wording for each status, in both languages; werkzeug's defaults are English only.
MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see this page."),
    404: _l("The page you asked for does not exist."),
    405: _l("This address does not accept that kind of request."),
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


class InvalidInput(ValueError):
    """Input that cannot be used; its message is for the user. Answered with 400."""

    def to_http(self) -> BadRequest:
        """The 400 carrying the message."""
        return BadRequest(description=str(self))


class FieldError(InvalidInput):
    """Input that breaks a rule about one form field; a form shows the message beside it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def wants_json() -> bool:
    """Whether the client is the JSON API."""
    return request.path.startswith("/api/")


def _message(error: HTTPException) -> str:
    """The error's own description when a view gave one, else our translated default."""
    default = type(error).description
    if error.description and error.description != default:
        return str(error.description)
    return str(MESSAGES.get(error.code or 500, error.name))


def handle_http_error(error: HTTPException):
    """Render any HTTP error in the caller's format and language."""
    code = error.code or 500
    message = _message(error)
    if wants_json():
        body = {"error": error.name.lower().replace(" ", "_"), "message": message}
        response = jsonify(body)
    else:
        title = str(TITLES.get(code, error.name))
        response = render_template("errors/error.html", code=code, title=title, message=message)
    return response, code


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
    app.register_error_handler(InvalidInput, lambda error: handle_http_error(error.to_http()))
    app.register_error_handler(Exception, handle_unexpected)
