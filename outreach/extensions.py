"""Extension objects, bound to an application in `create_app`."""

from flask import current_app
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
