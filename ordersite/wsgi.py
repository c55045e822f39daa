"""WSGI entry point."""

from django.core.wsgi import get_wsgi_application

from ordersite.env import set_default_settings_module

set_default_settings_module()
application = get_wsgi_application()
