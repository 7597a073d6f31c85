"""Fixtures of the outbox tests: the incident fixtures, people with addresses, and a local
HTTP server standing in for a webhook receiver."""

import http.server
import threading
import time
from types import SimpleNamespace

import pytest

from tests.incidents.conftest import make, people, svc, vendor  # noqa: F401 - the incident fixtures


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reporter_email(people):  # noqa: F811 - the fixture imported above
    people.reporter.email = "reporter@example.com"
    people.reporter.save(update_fields=["email"])
    return people.reporter.email


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the stdlib's name
        server = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with server.lock:
            server.requests.append(SimpleNamespace(headers=self.headers, body=body, path=self.path))
            status = server.statuses.pop(0) if server.statuses else 200
        if server.delay:
            time.sleep(server.delay)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1: ``.url``, ``.requests`` (headers, body), ``.statuses``
    (the answers to give, in order; then 200), ``.delay`` (seconds before answering)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    state = SimpleNamespace(requests=[], statuses=[], delay=0.0, lock=threading.Lock())
    server.receiver = state
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
