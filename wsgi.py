"""WSGI entry point: `application` for mod_wsgi/uwsgi, `app` for gunicorn and `flask --app wsgi`."""
from app import create_app

app = create_app()
application = app
