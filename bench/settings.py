"""Settings for bench/incident_api.py: IMS's own settings, plus the bare comparison endpoint.

Selected with DJANGO_SETTINGS_MODULE=bench.settings; only ROOT_URLCONF differs, so the bare
endpoint runs on exactly the same stack (middleware, token authentication, throttling,
pagination, exception handler, database pool) as the incident API.
"""

from ims.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
