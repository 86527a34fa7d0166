import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phms.settings")

from phms.configcheck import exit_on_bad_configuration

exit_on_bad_configuration()

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
