"""The incident's KB operations: link-kb (any state) and kb-update (SOP 15: only once the
incident is closed), each writing the incident's event and the article's in one append."""

import pytest

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from incidents.models import Incident
from knowledge import services
from knowledge.models import Article

WRITE_UP_DENIED = "Your role may not write up {inc} in the knowledge base."


def trail_since(seq: int) -> list[tuple[str, str, str, dict]]:
    rows = AuditEvent.objects.filter(seq__gt=seq).order_by("seq")
    return [(e.ref_type, e.ref_id, e.domain_action, e.changes) for e in rows]


def head() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def refused(call, code, message):
    before = (list(Article.objects.order_by("pk").values()), list(Incident.objects.order_by("pk").values()))
    links = list(Article.incidents.through.objects.values_list("article_id", "incident_id"))
    seq = head()
    with pytest.raises(DomainError) as excinfo:
        call()
    assert (excinfo.value.code, excinfo.value.message) == (code, message)
    assert (
        list(Article.objects.order_by("pk").values()),
        list(Incident.objects.order_by("pk").values()),
    ) == before
    assert list(Article.incidents.through.objects.values_list("article_id", "incident_id")) == links
    assert head() == seq
    return excinfo.value


# ---- link-kb ----------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["open", "in_progress", "resolved", "closed"])
def test_link_an_article_in_any_state_of_the_incident(people, make, article, status):
    incident = make(status)
    kb = article("published")
    seq = head()
    saved = services.incident_link_kb(
        incident=incident.reference, actor=people.analyst, article=kb.reference.lower(),
        expected_version=incident.version,
    )  # fmt: skip
    assert saved.version == incident.version + 1
    assert list(Article.objects.get(pk=kb.pk).incidents.all()) == [incident]
    assert Article.objects.get(pk=kb.pk).version == kb.version + 1
    assert trail_since(seq) == [
        ("article", kb.reference, "link", {"incidents": [None, incident.reference]}),
        ("incident", incident.reference, "link", {"kb_articles": [None, kb.reference]}),
    ]
    first, second = AuditEvent.objects.filter(seq__gt=seq).order_by("seq")
    assert second.prev_hash == first.hash  # written together, chained


def test_a_draft_may_be_linked_while_it_is_written(people, make, article):
    incident, draft = make("in_progress"), article("draft")
    services.incident_link_kb(incident=incident.reference, actor=people.l1, article=draft.reference)
    assert draft.incidents.filter(pk=incident.pk).exists()


@pytest.mark.parametrize(
    ("who", "code", "message"),
    [
        ("reporter", ErrorCode.PERMISSION_DENIED, "Your role may not link KB articles to {inc}."),
        ("auditor", ErrorCode.PERMISSION_DENIED, "Your role may not link KB articles to {inc}."),
        ("admin", ErrorCode.PERMISSION_DENIED, "Your role may not link KB articles to {inc}."),
        ("other_user", ErrorCode.NOT_FOUND, "Incident {inc} was not found."),  # not their incident
        ("nobody", ErrorCode.NOT_FOUND, "Incident {inc} was not found."),
    ],
)
def test_link_refused_by_role_or_sight(people, make, article, who, code, message):
    incident, kb = make("open"), article("published")
    refused(
        lambda: services.incident_link_kb(
            incident=incident.reference, actor=getattr(people, who), article=kb.reference
        ),
        code,
        message.format(inc=incident.reference),
    )


def test_a_security_incident_out_of_sight_is_not_found(people, make, article):
    incident, kb = make("open", category="security", team="L3"), article("published")
    refused(
        lambda: services.incident_link_kb(
            incident=incident.reference, actor=people.analyst, article=kb.reference
        ),
        ErrorCode.NOT_FOUND,
        f"Incident {incident.reference} was not found.",
    )


def test_link_refusals_about_the_article(people, make, article):
    incident = make("open")
    refused(
        lambda: services.incident_link_kb(
            incident=incident.reference, actor=people.analyst, article="KB-999999"
        ),
        ErrorCode.VALIDATION_ERROR,
        "No KB article KB-999999.",
    )
    refused(
        lambda: services.incident_link_kb(incident=incident.reference, actor=people.analyst, article=" "),
        ErrorCode.VALIDATION_ERROR,
        "Name the KB article (KB-…).",
    )
    retired = article("retired")
    refused(
        lambda: services.incident_link_kb(
            incident=incident.reference, actor=people.analyst, article=retired.reference
        ),
        ErrorCode.INVALID_TRANSITION,
        f"{retired.reference} is retired; only an article that is draft, in_review or published can be "
        "linked to an incident.",
    )
    kb = article("published")
    services.incident_link_kb(incident=incident.reference, actor=people.analyst, article=kb.reference)
    error = refused(
        lambda: services.incident_link_kb(
            incident=incident.reference, actor=people.analyst, article=kb.reference
        ),
        ErrorCode.VALIDATION_ERROR,
        f"{kb.reference} is already linked to {incident.reference}.",
    )
    assert error.fields == {"article": [f"{kb.reference} is already linked to {incident.reference}."]}


def test_link_with_a_stale_incident_version_is_a_conflict(people, make, article):
    incident, kb = make("in_progress"), article("published")
    stale = incident.version - 1
    refused(
        lambda: services.incident_link_kb(
            incident=incident.reference, actor=people.analyst, article=kb.reference, expected_version=stale
        ),
        ErrorCode.CONFLICT,
        f"{incident.reference} changed since you loaded it (version {stale}, now {incident.version}). "
        "Reload it and try again.",
    )


# ---- kb-update --------------------------------------------------------------------------
def test_kb_update_drafts_a_new_article_from_a_closed_incident(people, make):
    incident = make("closed")
    seq = head()
    saved, kb = services.incident_kb_update(
        incident=incident.reference, actor=people.l2, title="Mail queue stuck",
        body="Restart the relay.", type="resolution", expected_version=incident.version,
    )  # fmt: skip
    assert (kb.status, kb.author, kb.title, kb.version) == ("draft", people.l2, "Mail queue stuck", 1)
    assert list(kb.incidents.all()) == [incident] and saved.version == incident.version + 1
    assert trail_since(seq) == [
        ("article", kb.reference, "create",
         {"title": [None, "Mail queue stuck"], "type": [None, "resolution"], "status": [None, "draft"]}),
        ("incident", incident.reference, "kb_update", {"kb_articles": [None, kb.reference]}),
    ]  # fmt: skip
    assert AuditEvent.objects.get(ref_id=incident.reference, seq__gt=seq).additional_data == {
        "article": kb.reference, "revised": False,
    }  # fmt: skip


def test_kb_update_submits_for_review_when_asked(people, make):
    incident = make("closed")
    _, kb = services.incident_kb_update(
        incident=incident.reference, actor=people.l2, title="T", body="B", type="prevention", submit=True
    )
    assert kb.status == "in_review"


def test_kb_update_revises_a_published_article(people, make, article):
    incident, kb = make("closed"), article("published", body="Restart the relay.")
    seq = head()
    _, revised = services.incident_kb_update(
        incident=incident.reference, actor=people.l2, article=kb.reference, title=kb.title,
        body="Restart the relay, then drain the queue.", type=kb.type,
    )  # fmt: skip
    assert (revised.status, revised.author, revised.published_number) == ("draft", people.l2, 1)
    assert trail_since(seq) == [
        ("article", kb.reference, "update",
         {"body": ["Restart the relay.", "Restart the relay, then drain the queue."],
          "status": ["published", "draft"], "author": [people.analyst.username, people.l2.username],
          "incidents": [None, incident.reference]}),
        ("incident", incident.reference, "kb_update", {"kb_articles": [None, kb.reference]}),
    ]  # fmt: skip
    assert Article.objects.get(pk=kb.pk).published_version.body == "Restart the relay."  # readers' version


def test_kb_update_edits_a_draft_already_linked(people, make, article):
    incident = make("closed")
    draft = article("draft", body="Step one.", incidents=[incident.reference])
    seq = head()
    services.incident_kb_update(
        incident=incident.reference, actor=people.l2, article=draft.reference, title=draft.title,
        body="Step one.\nStep two.", type=draft.type,
    )  # fmt: skip
    stored = Article.objects.get(pk=draft.pk)
    assert (stored.status, stored.author, stored.editor_ids) == ("draft", people.analyst, [people.l2.pk])
    assert trail_since(seq) == [
        ("article", draft.reference, "update", {"body": ["Step one.", "Step one.\nStep two."]}),
        ("incident", incident.reference, "kb_update", {}),
    ]


@pytest.mark.parametrize("status", ["open", "in_progress", "escalated", "pending_vendor", "resolved"])
def test_kb_update_only_once_the_incident_is_closed(people, make, status):
    incident = make(status)
    refused(
        lambda: services.incident_kb_update(
            incident=incident.reference, actor=people.l2, title="T", body="B", type="resolution"
        ),
        ErrorCode.INVALID_TRANSITION,
        f"{incident.reference} is {status}; only an incident that is closed can be written up in the "
        "knowledge base.",
    )


@pytest.mark.parametrize(
    ("who", "kwargs", "code", "message"),
    [
        ("reporter", {}, ErrorCode.PERMISSION_DENIED, WRITE_UP_DENIED),
        ("auditor", {}, ErrorCode.PERMISSION_DENIED, WRITE_UP_DENIED),
        ("nobody", {}, ErrorCode.NOT_FOUND, "Incident {inc} was not found."),
        ("l2", {"article": "KB-999999"}, ErrorCode.VALIDATION_ERROR, "No KB article KB-999999."),
        ("l2", {"type": "howto"}, ErrorCode.VALIDATION_ERROR,
         "type must be one of resolution, workaround, prevention; got 'howto'."),
        ("l2", {"body": " "}, ErrorCode.VALIDATION_ERROR, "An article needs a body."),
        ("l2", {"body": "ssh key:\n-----BEGIN OPENSSH PRIVATE KEY-----"}, ErrorCode.VALIDATION_ERROR,
         "Line 2 looks like a private key; remove it (write <redacted> in its place) and save again."),
    ],
)  # fmt: skip
def test_kb_update_refusals(people, make, who, kwargs, code, message):
    incident = make("closed")
    values = {"title": "T", "body": "B", "type": "resolution", **kwargs}
    refused(
        lambda: services.incident_kb_update(
            incident=incident.reference, actor=getattr(people, who), **values
        ),
        code,
        message.format(inc=incident.reference),
    )


def test_kb_update_refuses_a_retired_article(people, make, article):
    incident, retired = make("closed"), article("retired")
    refused(
        lambda: services.incident_kb_update(
            incident=incident.reference, actor=people.l2, article=retired.reference, title="T", body="B",
            type="resolution",
        ),
        ErrorCode.INVALID_TRANSITION,
        f"{retired.reference} is retired; only an article that is draft, in_review or published can be "
        "updated from an incident.",
    )  # fmt: skip
