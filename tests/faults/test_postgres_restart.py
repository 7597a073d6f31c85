"""PostgreSQL restarted under load, with IMS left running.

Real processes: a throwaway PostgreSQL 15 cluster of this test's own (migrated by
``manage.py migrate``), a throwaway Redis (cache and broker), and gunicorn serving IMS with
production settings and ims.settings' psycopg pool (min 2, max 10, 10 s to get a
connection). Three clients create and list incidents over HTTP and a fourth polls /healthz
while the cluster is stopped (``pg_ctl stop -m fast``: every connection is terminated),
left down a few seconds, and started again. gunicorn is never restarted.

What it proves:

- while the database is down every API answer is the error envelope — 500 ``server_error``
  JSON, no stack trace, no HTML — and /healthz answers 503; gunicorn's workers survive;
- requests that wait less than the pool's 10 s for a connection simply wait out the
  restart; only the ones that used a connection the restart broke fail;
- after the database is back IMS recovers by itself (gunicorn is never restarted): no
  request sent after the database accepts connections again fails;
- a restart while IMS is idle leaves the pool full of broken connections: the first request
  of a worker that meets one fails (the envelope) and has the pool check all of them
  (core.db), so every later request succeeds. Without that, each broken connection failed
  one request (8 of 12 here); with Django's CONN_HEALTH_CHECKS instead, psycopg_pool's
  backoff between failed checks made the first request wait 10 s and fail.
"""

import subprocess
import threading
import time

import pytest

from tests.faults.support import (
    BIN,
    ROOT,
    Tally,
    ThrowawayPostgres,
    ThrowawayRedis,
    ims_environment,
    request,
    start_gunicorn,
    stop_process,
    tail,
    wait_for,
)

pytestmark = [pytest.mark.postgres]

# long enough that a /healthz probe caught in the first moments of the outage (one waited
# 5 s under a full CI run) is followed by others while the database is still down
DOWN_SECONDS = 8
AFTER_SECONDS = 12  # the pool takes a few seconds to reconnect: /healthz is 200 again well before the end
CLIENTS = 3

SETUP = """
from accounts.services import token_issue, user_provision
from catalog.models import BusinessCalendar, Service
user, _ = user_provision(username="faults", roles=["service_desk"], teams=["service_desk"])
service = Service.objects.create(name="Mail", calendar=BusinessCalendar.objects.get(name="24x7"))
print(token_issue(user=user, name="faults")[1], service.reference)
"""


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _classify(answer) -> str:
    """``ok`` (2xx), ``envelope`` (5xx, the API's server_error JSON) or what else it was."""
    if 200 <= answer.status < 300:
        return "ok"
    if answer.status >= 500 and answer.content_type.startswith("application/json"):
        error = answer.json().get("error", {})
        if error.get("code") == "server_error" and "Traceback" not in answer.body.decode():
            return "envelope"
    return f"other {answer.status} {answer.content_type}: {answer.body[:200]!r}"


def test_api_answers_with_the_envelope_while_postgres_restarts_and_recovers_without_a_restart(tmp_path):
    pg = ThrowawayPostgres()
    pg.init()
    pg.start()
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    gunicorn = None
    try:
        pg.createdb("ims")
        env = ims_environment(
            tmp_path,
            DATABASE_URL=pg.url("ims"),
            CACHE_URL=redis.url(1),
            CELERY_BROKER_URL=redis.url(0),
            IMS_HEALTHZ_CACHE_SECONDS="0.2",
            IMS_THROTTLE_HEALTHZ="100000/minute",
        )
        started = time.monotonic()
        _manage(env, "migrate", "--verbosity", "0")
        token, service = _manage(env, "shell", "-c", SETUP).split()[-2:]
        print(f"migrated a fresh cluster in {time.monotonic() - started:.1f} s")
        gunicorn, port = start_gunicorn(env, tmp_path, workers=1, threads=4)
        body = {"title": "VPN down", "category": "network", "impact": "high", "urgency": "high",
                "affected_service": service}  # fmt: skip
        assert request(port, "POST", "/api/v1/incidents/", token=token, body=body).status == 201
        assert request(port, "GET", "/healthz").status == 200

        api, health = Tally(), Tally()
        running = threading.Event()
        running.set()

        def client(n: int) -> None:
            i = 0
            while running.is_set():
                i += 1
                try:
                    if i % 2:
                        answer = request(port, "POST", "/api/v1/incidents/", token=token,
                                         body={**body, "title": f"VPN down {n}-{i}"})  # fmt: skip
                    else:
                        answer = request(port, "GET", "/api/v1/incidents/?page_size=10", token=token)
                    api.add((answer.seconds, _classify(answer)))
                except OSError as exc:
                    api.add((0.0, f"connection {type(exc).__name__}"))

        def probe() -> None:
            while running.is_set():
                try:
                    health.add(request(port, "GET", "/healthz", timeout=5).status)
                except OSError as exc:
                    health.add(f"connection {type(exc).__name__}")
                time.sleep(0.25)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        threads.append(threading.Thread(target=probe))
        for thread in threads:
            thread.start()
        try:
            time.sleep(2)
            stopping = time.monotonic() - api.started
            pg.stop("fast")
            time.sleep(DOWN_SECONDS)
            pg.start()
            back = time.monotonic() - api.started
            time.sleep(AFTER_SECONDS)
        finally:
            running.clear()
            for thread in threads:
                thread.join(timeout=30)
        assert gunicorn.poll() is None, tail(gunicorn.out)

        # answers are stamped when they arrive: one that arrives after ``back`` was sent
        # before it, at most its own duration earlier
        kinds = sorted({kind for _, (_, kind) in api.answers})
        failed = [(t, s, k) for t, (s, k) in api.answers if k != "ok"]
        before = [k for t, (_, k) in api.answers if t < stopping]
        after = [(t, s, k) for t, (s, k) in api.answers if t - s > back]
        print(
            f"database down {back - stopping:.1f} s; {len(api.answers)} API answers {kinds}; "
            f"{len(failed)} failed, from {failed[0][0] - stopping:.1f} s to "
            f"{failed[-1][0] - stopping:.1f} s after the stop "
            f"(slowest {max(s for _, s, _ in failed):.1f} s); "
            f"{len(after)} sent after it was back, failed: {sum(1 for a in after if a[2] != 'ok')}; "
            f"/healthz {[(round(t - stopping, 1), w) for t, w in health.answers if w != 200]}"
        )
        assert before and set(before) == {"ok"}
        assert set(kinds) <= {"ok", "envelope"}, kinds
        assert failed, "the restart must have been noticed"
        assert len(after) >= 10 and {k for _, _, k in after} == {"ok"}, after
        assert 503 in [w for _, w in health.answers]
        assert set(w for _, w in health.answers) <= {200, 503}
        assert [w for _, w in health.answers][-3:] == [200, 200, 200]
        assert wait_for(lambda: request(port, "GET", "/healthz").status == 200, timeout=5)

        # --- a restart while IMS is idle: the pool still holds the connections it broke ------
        burst = [threading.Thread(target=request, args=(port, "GET", "/api/v1/incidents/"),
                                  kwargs={"token": token}) for _ in range(8)]  # fmt: skip
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join()
        restarted = time.monotonic()
        pg.stop("fast")
        pg.start()
        quiet = [_classify(request(port, "GET", "/api/v1/incidents/?page_size=10", token=token))
                 for _ in range(12)]  # fmt: skip
        print(f"idle restart took {time.monotonic() - restarted:.1f} s; the 12 requests after it: {quiet}")
        # one request per gunicorn worker meets a broken connection (500, the envelope) and
        # has the pool replace them all (core.db); without that, 8 of the 12 failed
        assert quiet == ["envelope"] + ["ok"] * 11
    finally:
        if gunicorn is not None:
            stop_process(gunicorn)
        redis.stop()
        pg.destroy()
