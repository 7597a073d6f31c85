"""The KB API's versions and diffs: /api/v1/kb/{id}/versions/, …/versions/{n}/, …/diff/."""

import pytest

from knowledge import services
from tests.helpers import assert_error

KB = "/api/v1/kb/"


# ---- versions and diff ------------------------------------------------------------------
@pytest.fixture
def two_versions(people, article, approver):
    kb = article("published", title="VPN", body="Restart the client.\nRenew the lease.", type="workaround")
    services.article_revise(
        article=kb.reference,
        actor=people.l2,
        title="VPN drops",
        type="resolution",
        body="Restart the client.\nReinstall it.\nRenew the lease.",
    )
    services.article_submit(article=kb.reference, actor=people.l2)
    services.article_approve(article=kb.reference, actor=approver)
    return kb


def test_versions(api, people, two_versions):
    client = api(people.reporter)
    rows = client.get(f"{KB}{two_versions.reference}/versions/").json()
    assert [(v["number"], v["title"], v["author"]) for v in rows] == [
        (2, "VPN drops", people.l2.username),
        (1, "VPN", people.analyst.username),
    ]
    one = client.get(f"{KB}{two_versions.reference}/versions/1/").json()
    assert (one["number"], one["body"]) == (1, "Restart the client.\nRenew the lease.")
    assert_error(
        client.get(f"{KB}{two_versions.reference}/versions/7/"),
        404,
        "not_found",
        f"Version 7 of {two_versions.reference} was not found.",
    )


def test_diff_between_two_versions(api, people, two_versions):
    body = api(people.reporter).get(f"{KB}{two_versions.reference}/diff/?from=1&to=2").json()
    assert (body["from"], body["to"], body["title"], body["type"]) == (
        1,
        2,
        ["VPN", "VPN drops"],
        ["workaround", "resolution"],
    )
    assert (body["body"]["added"], body["body"]["removed"]) == (1, 0)
    assert [(line["op"], line["text"]) for line in body["body"]["lines"]] == [
        (" ", "Restart the client."),
        ("+", "Reinstall it."),
        (" ", "Renew the lease."),
    ]
    assert body["body"]["unified"].splitlines()[:2] == ["--- v1", "+++ v2"]


def test_diff_with_the_working_copy_is_for_staff(api, people, two_versions):
    services.article_revise(article=two_versions.reference, actor=people.l2, body="Call the desk.")
    body = api(people.l2).get(f"{KB}{two_versions.reference}/diff/?from=2&to=working").json()
    assert body["to"] == "working" and body["body"]["added"] == 1 and body["body"]["removed"] == 3
    assert_error(
        api(people.reporter).get(f"{KB}{two_versions.reference}/diff/?from=2&to=working"),
        400,
        "validation_error",
        "to must be a version number; got 'working'.",
    )
    assert_error(
        api(people.l2).get(f"{KB}{two_versions.reference}/diff/?from=1"),
        400,
        "validation_error",
        "to must be a version number or working; got ''.",
    )
