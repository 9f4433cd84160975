"""Extension objects, bound to an application in `create_app`."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
