"""Fixtures of the KB tests: the incident fixtures (people, make, svc), a second incident
manager to approve what the first writes, and ``article`` to build one in any state through
the services."""

import pytest

from knowledge import services
from knowledge.models import Article
from tests.incidents.conftest import make, people, svc, vendor  # noqa: F401 - the incident fixtures

STATES = ("draft", "in_review", "published", "revising", "retired")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Each test makes a dozen people: hash their passwords cheaply (2 CPU cores, shared)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def approver(make_user):
    return make_user("incident_manager", team="incident_manager")


@pytest.fixture
def article(people, approver):  # noqa: F811 - the fixture imported above
    """article(state, **kw): written by people.analyst (``author=``), approved by
    ``approver``; ``revising`` is a published article back in draft for its next version."""

    def build(state="draft", *, author=None, title="VPN drops every hour",
              body="Restart the VPN client.\nThen renew the lease.", type="workaround", **kw):  # fmt: skip
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}")
        author = author or people.analyst
        built = services.article_create(
            actor=author, title=title, body=body, type=type, submit=state != "draft", **kw
        )
        ref = built.reference
        if state in ("published", "revising", "retired"):
            services.article_approve(article=ref, actor=approver)
        if state == "revising":
            services.article_revise(article=ref, actor=author)
        if state == "retired":
            services.article_retire(article=ref, actor=approver)
        return Article.objects.get(pk=built.pk)

    return build
