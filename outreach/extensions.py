"""Extension objects, bound to an application in `create_app`."""

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Limits are declared on the views that need them; storage and on/off come from config.
limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True)


def registration_limit() -> str:
    """Registrations allowed per client address (the HTML form and the API share it)."""
    return current_app.config["REGISTRATION_ATTEMPTS"]


def phone_code_limit() -> str:
    """Code requests allowed per client address (the form's button and the API share it)."""
    return current_app.config["PHONE_CODE_ATTEMPTS"]


def phone_code_number_limit() -> str:
    """Code requests allowed per phone number, whoever asks."""
    return current_app.config["PHONE_CODE_ATTEMPTS_PER_NUMBER"]


def phone_of_request() -> str:
    """The phone number a code request names (the API's JSON or a registration form's
    `…phone` field), as the key of the per-number limit."""
    raw = ""
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # the view answers it with 400
            body = None
        raw = body.get("phone") if isinstance(body, dict) else ""
    else:
        raw = next((v for k, v in request.form.items() if k.endswith("phone")), "")
    digits = "".join(c for c in str(raw or "") if c.isascii() and c.isdigit())
    # The last 11 digits: a mainland mobile number, with or without +86 or 0086.
    return "phone:" + digits[-11:]


def cancel_limit() -> str:
    """Cancellations by residents allowed per client address (the API and the manage page)."""
    return current_app.config["CANCEL_ATTEMPTS"]
