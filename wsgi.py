"""Entry point for gunicorn and `flask --app wsgi`."""

from tracker import create_app

app = create_app()
