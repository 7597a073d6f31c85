"""What ims.settings makes of a production environment (DJANGO_DEBUG off), read in a fresh
interpreter: settings are computed once, at import."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "test-" + "k" * 50,
    "DJANGO_ALLOWED_HOSTS": "ims.example.com",
    "IMS_AUDIT_KEY": "test-audit-" + "k" * 40,
}
# settings, and what the API answers a browser (no database needed: a 401)
PRINT = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "from django.test import Client; "
    "r = Client(HTTP_HOST='ims.example.com', HTTP_ACCEPT='text/html,*/*;q=0.8')"
    ".get('/api/v1/services/', secure=True); "
    "print(json.dumps({'renderers': s.REST_FRAMEWORK.get('DEFAULT_RENDERER_CLASSES'), "
    "'cache': s.CACHES['default']['BACKEND'], 'status': r.status_code, 'type': r['Content-Type']}))"
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
    # a browser asking for HTML gets the JSON envelope, not the browsable API
    assert (values["status"], values["type"]) == (401, "application/json")


def test_local_cache_can_be_allowed_for_one_process():
    result = settings_in({**PRODUCTION, "IMS_ALLOW_LOCAL_CACHE": "true"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_development_keeps_the_browsable_api():
    result = settings_in({"DJANGO_ALLOWED_HOSTS": "ims.example.com"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["renderers"] is None
    assert values["type"].startswith("text/html")
