"""accounts.services for tokens: issue, update (the admin's change form), revoke."""

from datetime import UTC, datetime

import pytest

from accounts.models import ApiToken
from accounts.services import token_revoke, token_update
from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode

pytestmark = pytest.mark.django_db


def test_token_update_sets_expiry_and_audits_the_delta(make_user):
    admin, bot = make_user("admin"), make_user("incident_manager", username="bot")
    token, _ = ApiToken.issue(user=bot, name="pager")
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    token_update(token=token, actor=admin, changes={"expires_at": [None, expires]})
    assert ApiToken.objects.get(pk=token.pk).expires_at == expires
    (event,) = AuditEvent.objects.filter(ref_type="api_token", ref_id="bot")
    assert (event.domain_action, event.actor_label) == ("update", admin.username)
    assert event.changes["expires_at"] == [None, "2030-01-01T00:00:00+00:00"]


def test_token_update_refuses_other_fields_and_changes_nothing(make_user):
    admin, bot = make_user("admin"), make_user(username="bot")
    token, _ = ApiToken.issue(user=bot, name="pager")
    with pytest.raises(DomainError) as refused:
        token_update(token=token, actor=admin, changes={"name": ["pager", "other"]})
    assert refused.value.code == ErrorCode.VALIDATION_ERROR
    assert refused.value.message == "Only expires_at and revoked_at of a token can change; not name."
    assert refused.value.fields == {"name": ["Cannot be changed."]}
    assert ApiToken.objects.get(pk=token.pk).name == "pager"
    assert not AuditEvent.objects.exists()


def test_token_revoke_acts_once(make_user):
    admin, bot = make_user("admin"), make_user(username="bot")
    token, _ = ApiToken.issue(user=bot, name="pager")
    assert token_revoke(token=token, actor=admin) is True
    assert token_revoke(token=token, actor=admin) is False
    assert AuditEvent.objects.filter(ref_type="api_token").count() == 1
