"""WSGI entry point: `flask --app wsgi …` and production servers import `app` from here."""
from tracker import create_app
from tracker.logs import configure_logging

app = create_app()
configure_logging(app.config)
