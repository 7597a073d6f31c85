"""Browser desk tests: Playwright on Debian's Chromium against pytest-django's live server,
and plain django.test.Client tests of the same pages.

Playwright's sync API runs an event loop in the main thread for the rest of the session, so
Django's async-safety check would refuse the ORM in every later test: allow it here.
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Debian's Chromium, headless and quiet (never `playwright install`)."""
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def _django_serialized_contents(django_db_setup):
    """What serialized_rollback restores, read from the connections made before Playwright."""
    from django.db import connections

    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


@pytest.fixture(scope="session")
def playwright(_django_serialized_contents, playwright):
    """pytest-playwright's Playwright, plus a repair for Django.

    Once Playwright's event loop runs in the main thread, Django keeps its database
    connections per async context (asgiref.local.Local, thread-critical): the next ORM call
    gets a new connection object, which lacks the serialized database that
    serialized_rollback restores. Without this, a transactional browser test that follows
    another transactional test (whose flush emptied the tables) starts with no roles, teams
    or SLA policy. Hand the serialized contents to the new connection objects."""
    from django.db import connections

    for alias, contents in _django_serialized_contents.items():
        connections[alias]._test_serialized_contents = contents
    return playwright
