"""The WSGI application (for `detector server run` or any WSGI server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detector.server.settings")
application = get_wsgi_application()
