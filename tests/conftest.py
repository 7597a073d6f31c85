import itertools

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import ApiToken, Team, User


def _database_label() -> str:
    db = settings.DATABASES["default"]
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    where = f"{db.get('HOST') or 'socket'}:{db.get('PORT') or ''}" if engine == "postgresql" else db["NAME"]
    return f"{engine} ({where})"


def pytest_report_header(config):
    broker = settings.CELERY_BROKER_URL
    return [f"IMS database: {_database_label()}", f"IMS Celery broker: {broker}"]


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres run only on PostgreSQL: deselected (not skipped) elsewhere."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"IMS tests ran on {_database_label()}, broker {settings.CELERY_BROKER_URL}")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The suite flushes its own PostgreSQL database between transactional tests with
    TRUNCATE, which the trail refuses (audit migration 0004) unless the session allows it."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        options = db.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c ims.allow_audit_truncate=on".strip()


@pytest.fixture(scope="session", autouse=True)
def _audit_checkpoint_file(tmp_path_factory):
    """Checkpoints written by a test must not outlive the test database they anchor: the
    suite's file lives in the session's temporary directory (tests/audit use one each)."""
    settings.IMS_AUDIT_CHECKPOINT_FILE = tmp_path_factory.mktemp("audit") / "checkpoints.jsonl"


_usernames = itertools.count(1)


@pytest.fixture
def make_user(db):
    """make_user("l2", team="L2") → a user holding those roles (and team)."""

    def make(*roles: str, team: str | list[str] | None = None, username: str | None = None, **fields):
        user = User.objects.create_user(
            username=username or f"user{next(_usernames)}", password="pw-" + "x" * 12, **fields
        )
        if roles:
            user.groups.add(*Group.objects.filter(name__in=roles))
        teams = [team] if isinstance(team, str) else (team or [])
        for code in teams:
            Team.objects.get(code=code).members.add(user)
        return user

    return make


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated with a real token of that user."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            _, key = ApiToken.issue(user=user, name="test")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashes():
    """Tests make users by the dozen (and browser tests sign them in): MD5 hashes, not the
    production hasher's deliberate slowness, which would dominate the run time. For the
    session, not through the ``settings`` fixture, so that no test's own setting overrides
    are undone after the other fixtures' teardown."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_sla_caches():
    """Process caches of SLA targets, calendars and teams must not leak rows between tests."""
    from operations.inputs import _TEAMS
    from sla.services import sla_caches_clear

    sla_caches_clear()
    _TEAMS.clear()
    yield
    sla_caches_clear()
    _TEAMS.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (DRF's throttles, the bad-token limit) live in the cache: each
    test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
