"""The users of bench/load.py: analysts, end users and a monitoring integration.

    .venv/bin/locust -f bench/locustfile.py --headless -u 20 -r 20 -t 60s --host http://127.0.0.1:PORT

bench/load.py prepares the database and the accounts and runs this; run by hand, it needs
``IMS_LOAD_FIXTURE``: a JSON file with the tokens of each kind of user and the services
(``{"analysts": [{"username", "token"}, …], "end_users": […], "integrations": […],
"services": ["SVC-…"], "think": [min_s, max_s]}``).

- **Analyst** (service_desk token): works the queues — lists with the desk's filters, searches,
  opens incidents, and assigns an open one (to the service desk itself or L1/L2) if it is still
  open when its detail loads, records a
  diagnosis on an in-progress one, or resolves one. It acts only on incidents whose detail
  lists the action in ``allowed_actions``, and sends the version it read: a ``409 conflict``
  (someone — another analyst, the SLA sweep — changed the incident in between) is a genuine
  race, reported under its own name ``… [409 conflict]``, not as a failure.
- **EndUser** (end_user token): reports incidents with the fields an end user may set
  (title, description, category, impact, urgency, affected_service) and reads their own.
- **Integration** (service_desk token standing in for a monitoring tool): posts incidents
  with ``detection_source=monitoring_tool`` and a ``detected_at`` a few seconds back, and
  looks at what it has opened.

Any other status than the expected one is a failure (5xx, unexpected 4xx, a connection error).
With ``IMS_LOAD_RESULTS`` set, the final figures (every entry with its response-time
histogram, and the failures) are written there as JSON when locust quits.
"""

import itertools
import json
import os
import random
from datetime import UTC, datetime, timedelta

from locust import HttpUser, events, task

INCIDENTS = "/api/v1/incidents/"
RACE = "[409 conflict]"
WORDS = (
    "mail VPN printer laptop login payroll portal wifi slow error timeout crash sync disk "
    "badge scanner invoice backup phone monitor licence certificate queue"
).split()
QUEUES = (  # what the desk's queues and filters ask for
    "status=open&assignee=none",
    "status=in_progress&team=service_desk",
    "status=in_progress&priority=P2&priority=P3",
    "status=escalated",
    "sla=at_risk",
    "sla=breached&status=in_progress",
    "detection_source=monitoring_tool&status=open",
    "category=network&ordering=-priority",
)
CHECKS = ("disk_full", "http_5xx_rate", "latency_p99", "cert_expiry", "queue_backlog", "host_down")

_fixture: dict | None = None
_counters: dict[str, itertools.count] = {}
_environment = None


@events.init.add_listener
def _remember(environment, **_kwargs) -> None:
    global _environment
    _environment = environment


@events.quit.add_listener
def _write_results(exit_code, **_kwargs) -> None:
    # after the users have stopped: the figures are final (locust's CSV is a periodic snapshot)
    path = os.environ.get("IMS_LOAD_RESULTS")
    if path and _environment is not None:
        stats = _environment.stats
        with open(path, "w") as handle:
            json.dump(
                {
                    "entries": stats.serialize_stats(),
                    "total": stats.total.serialize(),
                    "errors": list(stats.serialize_errors().values()),
                },
                handle,
            )


def fixture() -> dict:
    global _fixture
    if _fixture is None:
        with open(os.environ["IMS_LOAD_FIXTURE"]) as handle:
            _fixture = json.load(handle)
    return _fixture


def title() -> str:
    return " ".join(random.choice(WORDS) for _ in range(3)).capitalize()


class ImsUser(HttpUser):
    abstract = True
    accounts = ""  # the fixture's key for this kind of user

    def wait_time(self) -> float:
        low, high = fixture().get("think", [0.2, 1.0])
        return random.uniform(low, high)

    def on_start(self) -> None:
        accounts = fixture()[self.accounts]
        number = next(_counters.setdefault(self.accounts, itertools.count()))
        self.account = accounts[number % len(accounts)]
        self.client.headers.update(
            {"Authorization": f"Token {self.account['token']}", "Accept": "application/json"}
        )

    def call(self, method: str, path: str, name: str, *, body=None, expect: int = 200, race=False):
        """One request under ``name``; its JSON when the status is ``expect``, else None."""
        with self.client.request(method, path, json=body, name=name, catch_response=True) as response:
            if response.status_code == expect:
                response.success()
                return response.json()
            try:
                error = response.json().get("error", {})
            except ValueError:
                error = {}
            if race and response.status_code == 409 and error.get("code") == "conflict":
                response.request_meta["name"] = f"{name} {RACE}"
                response.success()
                return None
            detail = error.get("message") or (response.text or str(response.error))[:300]
            response.failure(f"{response.status_code} {error.get('code', '')}: {detail}")
            return None

    def service(self) -> str:
        return random.choice(fixture()["services"])


class Analyst(ImsUser):
    weight = 10
    accounts = "analysts"

    def queue(self, query: str) -> list[dict]:
        page = self.call("GET", f"{INCIDENTS}?{query}&page_size=25", "/api/v1/incidents/?filters")
        return page["results"] if page else []

    def open_one(self, rows: list[dict]) -> dict | None:
        if not rows:
            return None
        reference = random.choice(rows)["id"]
        return self.call("GET", f"{INCIDENTS}{reference}/", "/api/v1/incidents/{id}/")

    def act(self, incident: dict | None, action: str, body: dict) -> None:
        operation = action.replace("-", "_")
        if incident is None or operation not in incident.get("allowed_actions", []):
            return
        self.call(
            "POST",
            f"{INCIDENTS}{incident['id']}/{action}/",
            f"/api/v1/incidents/{{id}}/{action}/",
            body={**body, "version": incident["version"]},
            race=True,
        )

    @task(6)
    def browse_queue(self) -> None:
        self.open_one(self.queue(random.choice(QUEUES)))

    @task(2)
    def search(self) -> None:
        self.call("GET", f"{INCIDENTS}?q={random.choice(WORDS)}&page_size=25", "/api/v1/incidents/?q=")

    @task(3)
    def assign(self) -> None:
        incident = self.open_one(self.queue("status=open&assignee=none"))
        if incident is None or incident["status"] != "open":
            # taken by someone between the queue and the detail: the analyst moves on (an
            # analyst may not move an incident from another team, allowed_actions or not)
            return
        if random.random() < 0.5:
            body = {"team": "service_desk", "assignee": self.account["username"]}
        else:
            body = {"team": random.choice(["L1", "L2"])}
        self.act(incident, "assign", body)

    @task(3)
    def diagnose(self) -> None:
        incident = self.open_one(self.queue("status=in_progress"))
        body = {"steps": f"Checked the {random.choice(WORDS)} logs and reproduced the fault."}
        if random.random() < 0.3:
            body["workaround"] = "Restart the client and sign in again."
        self.act(incident, "diagnose", body)

    @task(2)
    def resolve(self) -> None:
        incident = self.open_one(self.queue("status=in_progress"))
        body = {
            "resolution_summary": "Restarted the affected service; the user confirmed.",
            "service_restored": True,
        }
        self.act(incident, "resolve", body)


class EndUser(ImsUser):
    weight = 7
    accounts = "end_users"

    @task(2)
    def report(self) -> None:
        body = {
            "title": f"{title()} not working",
            "description": "Since this morning I cannot work; it says there is an error.",
            # now and then a security incident, which only its reporter and L3/IM may see
            "category": "security"
            if random.random() < 0.05
            else random.choice(["hardware", "software", "network", "other"]),
            "impact": random.choice(["low", "medium", "high"]),
            "urgency": random.choice(["low", "medium", "high"]),
            "affected_service": self.service(),
        }
        self.call("POST", INCIDENTS, "/api/v1/incidents/ (end user)", body=body, expect=201)

    @task(3)
    def my_incidents(self) -> None:
        page = self.call("GET", f"{INCIDENTS}?page_size=20", "/api/v1/incidents/ (end user)")
        if page and page["results"]:
            reference = random.choice(page["results"])["id"]
            self.call("GET", f"{INCIDENTS}{reference}/", "/api/v1/incidents/{id}/ (end user)")


class Integration(ImsUser):
    weight = 3
    accounts = "integrations"

    @task(4)
    def post_alert(self) -> None:
        check = random.choice(CHECKS)
        detected = datetime.now(UTC) - timedelta(seconds=random.randint(5, 120))
        body = {
            "title": f"[{check}] firing on host-{random.randint(1, 400):03d}",
            "description": f"Monitoring: {check} crossed its threshold for 5 minutes.",
            "category": random.choice(["performance", "network", "hardware"]),
            "impact": random.choice(["medium", "high"]),
            "urgency": random.choice(["low", "medium", "high"]),
            "affected_service": self.service(),
            "detection_source": "monitoring_tool",
            "detected_at": detected.isoformat(),
        }
        self.call("POST", INCIDENTS, "/api/v1/incidents/ (integration)", body=body, expect=201)

    @task(1)
    def open_alerts(self) -> None:
        self.call(
            "GET",
            f"{INCIDENTS}?detection_source=monitoring_tool&status=open&affected_service={self.service()}",
            "/api/v1/incidents/?detection_source=monitoring_tool",
        )
