"""Entry point for `flask --app app` and `gunicorn app:app`."""

from outreach import create_app

app = create_app()
