"""The incident tallies (incidents.tally): the database keeps them exact through every
writer, the plain list's ``count`` is read from them instead of counting the table, and a
migration that drops the triggers cannot leave them stale."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Incident, IncidentTally
from incidents.selectors import incidents_visible_count, incidents_visible_to
from incidents.tally import TRIGGERS, ensure_tally, installed_triggers, tally
from tests.incidents.factories import incident_in, make_service

pytestmark = pytest.mark.django_db


def _exact() -> dict[str, int]:
    security = Incident.objects.filter(category="security").count()
    return {"other": Incident.objects.count() - security, "security": security}


def test_every_write_keeps_the_tallies_exact(people):
    incident_in("open")
    secret = incident_in("in_progress", category="security", team="L3")
    plain = incident_in("in_progress", category="network")
    assert tally() == _exact() == {"other": 2, "security": 1}

    services.incident_categorize(incident=plain.reference, actor=people.im, category="security")
    services.incident_categorize(incident=secret.reference, actor=people.im, category="software")
    services.incident_categorize(incident=secret.reference, actor=people.im, category="hardware")
    assert tally() == _exact() == {"other": 2, "security": 1}

    Incident.objects.filter(pk=plain.pk).update(category="other")  # a writer beside the services
    assert tally() == _exact() == {"other": 3, "security": 0}


def test_deleting_incidents_is_counted(people):
    incident = incident_in("open", category="security")
    Incident.objects.filter(pk=incident.pk).delete()
    assert tally() == _exact() == {"other": 0, "security": 0}


def test_the_visible_count_is_the_count_of_the_visible_incidents(people):
    incident_in("open", reporter=people.reporter)
    incident_in("open", category="security", reporter=people.analyst, team="L3")
    incident_in("open", category="security", team="L3")
    incident_in("closed")
    for user in (
        people.im,
        people.auditor,
        people.analyst,
        people.l2,
        people.reporter,
        people.other_user,
        people.nobody,
    ):
        assert incidents_visible_count(user) == incidents_visible_to(user).count(), user.username


def test_the_plain_list_reads_its_count_and_a_filtered_one_counts(api, people):
    incident_in("open")
    incident_in("open", category="security", team="L3")
    client = api(people.im)
    client.get("/api/v1/incidents/")  # a request first: the test client resets the query log per request
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/incidents/").json()
    assert body["count"] == 2
    assert queries.captured_queries, "the queries were captured"
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/incidents/?category=security").json()
    assert body["count"] == 1
    assert [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert api(people.analyst).get("/api/v1/incidents/").json()["count"] == 1  # not the security one


def test_a_page_past_the_last_is_still_not_found(api, people):
    incident_in("open")
    response = api(people.im).get("/api/v1/incidents/?page=2")
    assert response.status_code == 404


def _drop_triggers() -> None:
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON incidents_incident")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def test_triggers_lost_to_a_table_rebuild_are_put_back_and_the_tallies_recounted(people):
    incident_in("open")
    _drop_triggers()  # what a SQLite table rebuild does
    incident_in("open", category="security")
    assert installed_triggers() == set()
    assert tally() != _exact()
    assert ensure_tally() is True
    assert installed_triggers() == set(TRIGGERS)
    assert tally() == _exact() == {"other": 1, "security": 1}
    assert ensure_tally() is False  # nothing to do the second time
    incident_in("open", category="security")
    assert tally() == _exact()


def test_the_tally_rows_are_only_the_two_buckets(people):
    incident_in("open")
    assert set(IncidentTally.objects.values_list("bucket", flat=True)) <= {"other", "security"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_creates_and_moves_between_buckets_are_all_counted(people):
    service = make_service()
    incidents = [incident_in("in_progress", service=service, team="L3") for _ in range(6)]
    barrier = threading.Barrier(len(incidents) * 2)
    errors = []

    def move(incident, category):
        try:
            barrier.wait()
            services.incident_categorize(incident=incident.reference, actor=people.im, category=category)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def create(n):
        try:
            barrier.wait()
            services.incident_create(
                actor=people.im, title=f"Concurrent {n}", impact="low", urgency="low",
                affected_service=service.reference, category="security" if n % 2 else "software",
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=move, args=(inc, "security" if n % 2 else "network"))
        for n, inc in enumerate(incidents)
    ] + [threading.Thread(target=create, args=(n,)) for n in range(len(incidents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert tally() == _exact()
