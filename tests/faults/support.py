"""Real servers for the fault tests: a throwaway Redis, a throwaway PostgreSQL cluster,
gunicorn serving IMS with production settings, and Celery worker and beat processes.

Everything here is a separate operating-system process, so a fault is a real one: Redis
stopped, a worker killed with SIGKILL, PostgreSQL restarted under a server that keeps
its connection pool. Nothing is mocked.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable, timeout: float, interval: float = 0.2):
    """The first truthy value of ``predicate()`` within ``timeout`` seconds, else None."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value or None
        time.sleep(interval)


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


# ---- Redis -------------------------------------------------------------------------------
class ThrowawayRedis:
    """``redis-server`` on a free port, no persistence: stopping it loses every message, as
    a crashed broker without AOF would; ``start()`` again brings back an empty one."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.log = workdir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    HOST,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_for(self.answers, timeout=10, interval=0.05):
            raise RuntimeError(f"redis-server did not start on {self.port}:\n{tail(self.log)}")

    def answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, signal.SIGKILL)
            self.process = None


# ---- PostgreSQL ----------------------------------------------------------------------------
def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class ThrowawayPostgres:
    """A PostgreSQL 15 cluster of its own (``initdb`` into a directory owned by postgres),
    on a free port, so restarting it disturbs no one else."""

    def __init__(self):
        self.port = free_port()
        # under /tmp, not pytest's tmp_path: the postgres user cannot enter root's 0700 folders
        self.dir = Path(tempfile.mkdtemp(prefix="ims-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")

    def url(self, name: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{name}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=60,
        )

    def init(self) -> None:
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._ctl("-l", str(self.log), "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop")

    def createdb(self, name: str) -> None:
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "createdb"), "-h", HOST, "-p", str(self.port), "-U", "postgres", name]
            ),
            check=True,
            timeout=60,
        )

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


def this_run_database_url() -> str:
    """The URL of the database pytest-django created for this run (test_…), for processes
    that must see what the test commits."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or HOST}:{db['PORT'] or 5432}/{db['NAME']}"


# ---- IMS processes ---------------------------------------------------------------------------
def ims_environment(workdir: Path, **overrides: str) -> dict:
    """A production environment (DJANGO_DEBUG off: JSON-only API, Redis cache required) with
    this test run's audit key, so events written by the servers chain with the test's."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CACHE_URL", "IMS_", "CELERY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="ims.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="faults-" + "s" * 50,
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        IMS_AUDIT_KEY=settings.IMS_AUDIT_KEY,
        IMS_AUDIT_CHECKPOINT_FILE=str(workdir / "checkpoints.jsonl"),
        IMS_DATA_DIR=str(workdir / "data"),
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def start_gunicorn(
    env: dict, workdir: Path, *, workers: int = 1, threads: int = 4
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = workdir / "gunicorn.log"
    command = [
        str(BIN / "gunicorn"),
        "ims.wsgi",
        "-w",
        str(workers),
        "-b",
        f"{HOST}:{port}",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--error-logfile",
        str(log),
        "--log-level",
        "warning",
    ]
    with (workdir / "gunicorn.out").open("a") as out:  # IMS's own log lines (stderr)
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    process.out = workdir / "gunicorn.out"

    def serving() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{tail(log)}")
        try:
            return request(port, "GET", "/api/v1/").status in (200, 401)
        except OSError:
            return False

    if not wait_for(serving, timeout=60):
        stop_process(process)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{tail(log)}")
    return process, port


def start_celery(kind: str, env: dict, workdir: Path, *extra: str) -> subprocess.Popen:
    """``celery -A ims worker`` (solo pool: the process killed is the one sweeping) or
    ``celery -A ims beat``, logging to ``workdir/<kind>-<n>.log``."""
    n = len(list(workdir.glob(f"{kind}-*.log"))) + 1
    log = workdir / f"{kind}-{n}.log"
    command = [str(BIN / "celery"), "-A", "ims", kind, "--loglevel", "INFO", "--logfile", str(log)]
    if kind == "worker":
        command += [
            "--pool",
            "solo",
            "--hostname",
            f"faults-{n}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    else:
        command += ["--schedule", str(workdir / f"celerybeat-schedule-{n}")]
    process = subprocess.Popen(
        [*command, *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    process.log = log
    return process


# ---- HTTP ------------------------------------------------------------------------------------
@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = ""
    seconds: float = 0.0

    def json(self):
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: dict | None = None,
    timeout: float = 20,
) -> Answer:
    """One request on a new connection (a failed one leaves nothing behind)."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return Answer(
            response.status,
            response.read(),
            response.getheader("Content-Type", ""),
            time.monotonic() - started,
        )
    finally:
        conn.close()


@dataclass
class Tally:
    """What a stream of requests got, in order: (seconds since start, status or error)."""

    started: float = field(default_factory=time.monotonic)
    answers: list = field(default_factory=list)

    def add(self, what) -> None:
        self.answers.append((time.monotonic() - self.started, what))

    def count(self, predicate) -> int:
        return sum(1 for _, what in self.answers if predicate(what))
