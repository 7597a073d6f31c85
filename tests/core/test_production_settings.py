"""What ims.settings makes of a production environment (DJANGO_DEBUG off), read in a fresh
interpreter: settings are computed once, at import."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "test-" + "k" * 50,
    "DJANGO_ALLOWED_HOSTS": "ims.example.com",
}
PRINT = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'renderers': s.REST_FRAMEWORK.get('DEFAULT_RENDERER_CLASSES'), "
    "'cache': s.CACHES['default']['BACKEND']}))"
)


def settings_in(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CACHE_URL", "IMS_ALLOW"))}
    base.update(DJANGO_SETTINGS_MODULE="ims.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )


def test_production_without_a_shared_cache_refuses_to_start():
    result = settings_in(PRODUCTION)
    assert result.returncode != 0
    assert (
        "django.core.exceptions.ImproperlyConfigured: CACHE_URL must point at Redis "
        "(redis://host:6379/1) when DJANGO_DEBUG is off: rate limits are counted in the cache, "
        "and local memory counts them per process. Set IMS_ALLOW_LOCAL_CACHE=true only for a "
        "single-process deployment."
    ) in result.stderr


def test_production_with_redis_answers_json_only():
    result = settings_in({**PRODUCTION, "CACHE_URL": "redis://127.0.0.1:6379/14"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["renderers"] == ["rest_framework.renderers.JSONRenderer"]
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_local_cache_can_be_allowed_for_one_process():
    result = settings_in({**PRODUCTION, "IMS_ALLOW_LOCAL_CACHE": "true"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_development_keeps_the_browsable_api():
    result = settings_in({})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["renderers"] is None


@pytest.fixture
def json_only(settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
    settings.REST_FRAMEWORK = rest


def test_json_only_api_answers_a_browser_with_json(json_only, make_user):
    client = Client()
    client.force_login(make_user("service_desk"))
    response = client.get("/api/v1/services/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "results" in response.json()


def test_the_swagger_ui_still_opens_with_json_only(json_only, make_user):
    client = Client()
    client.force_login(make_user("service_desk"))
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/schema/").status_code == 200
