"""The KB in the admin: articles and versions read-only; secret patterns edited by
administrators and incident managers, every change audited."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from knowledge.models import Article, SecretPattern


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["admin", "im", "auditor"])
def test_articles_and_versions_are_read_only(people, article, who):
    kb = article("published")
    client = client_for(getattr(people, who))
    assert client.get(reverse("admin:knowledge_article_changelist")).status_code == 200
    page = client.get(reverse("admin:knowledge_article_change", args=[kb.pk]))
    assert (
        page.status_code == 200
        and b'name="title"' not in page.content
        and b"VPN drops every hour" in page.content
    )
    assert client.get(reverse("admin:knowledge_article_add")).status_code == 403
    version = kb.published_version
    page = client.get(reverse("admin:knowledge_articleversion_change", args=[version.pk]))
    assert page.status_code == 200 and b'name="body"' not in page.content
    response = client.post(reverse("admin:knowledge_article_change", args=[kb.pk]), {"title": "Changed"})
    assert response.status_code == 403 and Article.objects.get(pk=kb.pk).title == kb.title


def _pattern_form(**overrides):
    return {"name": "internal host", "looks_like": "an internal host name", "regex": r"\bcorp-db-\d+\b",
            "active": "on", **overrides}  # fmt: skip


@pytest.mark.parametrize("who", ["admin", "im"])
def test_secret_patterns_are_edited_and_audited(people, who):
    user = getattr(people, who)
    client = client_for(user)
    response = client.post(reverse("admin:knowledge_secretpattern_add"), _pattern_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    pattern = SecretPattern.objects.get(name="internal host")
    created = AuditEvent.objects.get(ref_type="secretpattern", domain_action="create")
    assert (created.ref_id, created.actor_id) == ("secret pattern internal host", user.pk)
    response = client.post(reverse("admin:knowledge_secretpattern_change", args=[pattern.pk]),
                           _pattern_form(active=""))  # fmt: skip
    assert response.status_code == 302 and not SecretPattern.objects.get(pk=pattern.pk).active
    updated = AuditEvent.objects.get(ref_type="secretpattern", domain_action="update")
    assert updated.changes == {"active": [True, False]}


def test_a_broken_regular_expression_is_refused_by_the_form(people):
    response = client_for(people.admin).post(
        reverse("admin:knowledge_secretpattern_add"), _pattern_form(regex="(x")
    )
    assert response.status_code == 200 and b"Not a valid regular expression" in response.content
    assert not SecretPattern.objects.filter(name="internal host").exists()
    assert not AuditEvent.objects.filter(ref_type="secretpattern").exists()


def test_others_read_the_patterns_but_do_not_change_them(people):
    pattern = SecretPattern.objects.get(name="password")
    client = client_for(people.auditor)
    assert client.get(reverse("admin:knowledge_secretpattern_changelist")).status_code == 200
    response = client.post(
        reverse("admin:knowledge_secretpattern_change", args=[pattern.pk]), _pattern_form()
    )
    assert response.status_code == 403 and SecretPattern.objects.get(pk=pattern.pk).name == "password"
    assert (
        client_for(people.admin)
        .post(reverse("admin:knowledge_secretpattern_delete", args=[pattern.pk]), {"post": "yes"})
        .status_code
        == 403
    )  # deactivated, never deleted
