import pytest

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from knowledge.models import Article
from knowledge.services import article_create


def test_an_analyst_writes_a_draft_linked_to_an_incident(people, make):
    incident = make("open")
    article = article_create(
        actor=people.analyst, title="VPN drops", body="Restart the client.", type="workaround",
        incidents=[incident.reference],
    )  # fmt: skip
    assert article.reference.startswith("KB-") and article.status == "draft" and article.version == 1
    assert list(article.incidents.all()) == [incident]
    event = AuditEvent.objects.get(ref_id=article.reference)
    assert (event.domain_action, event.ref_type) == ("create", "article")
    assert event.actor_label == people.analyst.username
    assert event.additional_data == {"incidents": [incident.reference]}


def test_submitted_at_once_it_awaits_review(people):
    article = article_create(
        actor=people.l2, title="Disk full", body="Clear /tmp.", type="resolution", submit=True
    )
    assert article.status == "in_review"


@pytest.mark.parametrize(
    ("who", "kwargs", "code", "message"),
    [
        ("reporter", {}, ErrorCode.PERMISSION_DENIED, "Your role may not write KB articles."),
        ("auditor", {}, ErrorCode.PERMISSION_DENIED, "Your role may not write KB articles."),
        ("analyst", {"type": "howto"}, ErrorCode.VALIDATION_ERROR,
         "type must be one of resolution, workaround, prevention; got 'howto'."),
        ("analyst", {"title": " "}, ErrorCode.VALIDATION_ERROR, "An article needs a title."),
        ("analyst", {"incidents": ["INC-999999"]}, ErrorCode.VALIDATION_ERROR, "No incident INC-999999."),
    ],
)  # fmt: skip
def test_refusals_change_nothing(people, who, kwargs, code, message):
    body = {"title": "T", "body": "B", "type": "resolution", **kwargs}
    with pytest.raises(DomainError) as excinfo:
        article_create(actor=getattr(people, who), **body)
    assert (excinfo.value.code, excinfo.value.message) == (code, message)
    assert not Article.objects.exists() and not AuditEvent.objects.filter(ref_type="article").exists()
