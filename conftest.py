"""Project-wide pytest fixtures."""

import pytest
from django.core.cache import cache

from core import documents

pytest_plugins = ["phms.tests.fixtures"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _no_required_second_factor(settings):
    # Tests about two-step sign-in set MFA_REQUIRED_ROLES themselves.
    settings.MFA_REQUIRED_ROLES = []


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rendered charts are cached per chart version; a test starts with none of another's.
    cache.clear()


@pytest.fixture(autouse=True)
def _isolated_document_store(settings, tmp_path_factory):
    """Each test gets its own embedded document store unless MONGO_URL points at a server."""
    if not settings.MONGO_URL:
        settings.DOCUMENT_STORE_DIR = tmp_path_factory.mktemp("documents")
    else:
        settings.MONGO_DB_NAME = f"phms_test_{tmp_path_factory.mktemp('db').name}"
    documents.reset_clients()
    yield
    if settings.MONGO_URL:
        documents.get_client().drop_database(settings.MONGO_DB_NAME)
    documents.reset_clients()
