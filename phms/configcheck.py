"""Refuse to start with a one-line explanation when the configuration is wrong."""

import sys

from django.core.exceptions import ImproperlyConfigured


def exit_on_bad_configuration() -> None:
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - forces the settings module to load
    except ImproperlyConfigured as error:
        sys.exit(f"PHMS configuration error: {error}")
