"""WSGI entry point (granian, gunicorn). Web servers run in production: production settings
unless DJANGO_SETTINGS_MODULE says otherwise (development serves through ``manage.py
runserver``, whose default is ``config.settings.dev``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
