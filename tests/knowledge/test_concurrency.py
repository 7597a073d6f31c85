"""Conflicting KB operations from parallel threads, on PostgreSQL: the article (and the
incident) are locked for the whole operation, so the second comer sees the first one's
result and either succeeds on it or is refused, writing nothing."""

import pytest

from audit.models import AuditEvent
from core.errors import ErrorCode
from knowledge import services
from knowledge.models import Article, ArticleVersion
from tests.incidents.factories import incident_in, make_staff
from tests.incidents.test_concurrency import ROUNDS, _assert_chain_verifies, _only_refusal, race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_approvers_publish_one_version(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    writer = make_staff("l2", team="L2")
    first, second = make_staff("incident_manager"), make_staff("incident_manager")
    for _ in range(ROUNDS):
        ref = services.article_create(
            actor=writer, title="T", body="B", type="resolution", submit=True
        ).reference
        outcomes = race(
            lambda ref=ref: services.article_approve(article=ref, actor=first),
            lambda ref=ref: services.article_approve(article=ref, actor=second),
        )
        assert _only_refusal(outcomes).code == ErrorCode.INVALID_TRANSITION
        article = Article.objects.get(reference=ref)
        assert (article.status, article.published_number) == ("published", 1)
        assert ArticleVersion.objects.filter(article=article).count() == 1
        assert AuditEvent.objects.filter(ref_id=ref, domain_action="approve").count() == 1
    _assert_chain_verifies()


def test_two_links_of_one_article_to_one_incident_link_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    desk, other = (
        make_staff("service_desk", team="service_desk"),
        make_staff("service_desk", team="service_desk"),
    )
    for _ in range(ROUNDS):
        incident = incident_in("in_progress")
        ref = services.article_create(actor=desk, title="T", body="B", type="resolution").reference
        outcomes = race(
            *(
                lambda who=who, inc=incident.reference, ref=ref: services.incident_link_kb(
                    incident=inc, actor=who, article=ref
                )
                for who in (desk, other)
            )
        )
        assert _only_refusal(outcomes).message == f"{ref} is already linked to {incident.reference}."
        assert Article.objects.get(reference=ref).incidents.count() == 1
        assert AuditEvent.objects.filter(ref_id=incident.reference, domain_action="link").count() == 1
    _assert_chain_verifies()
