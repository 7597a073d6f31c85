"""The article's operations: each success with exactly its audit event, each refusal with
its code and message, changing nothing."""

import pytest

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from knowledge import services
from knowledge.models import Article, ArticleVersion


def events(article) -> list[tuple[str, dict]]:
    rows = AuditEvent.objects.filter(ref_type="article", ref_id=article.reference).order_by("seq")
    return [(e.domain_action, e.changes) for e in rows]


def refused(call, code, message, article=None):
    """``call()`` raises DomainError(code, message) and changes nothing (row and trail)."""
    before_rows = list(Article.objects.order_by("pk").values())
    before_events = AuditEvent.objects.count()
    before_versions = ArticleVersion.objects.count()
    with pytest.raises(DomainError) as excinfo:
        call()
    assert (excinfo.value.code, excinfo.value.message) == (code, message)
    assert list(Article.objects.order_by("pk").values()) == before_rows
    assert AuditEvent.objects.count() == before_events
    assert ArticleVersion.objects.count() == before_versions
    return excinfo.value


# ---- edit -------------------------------------------------------------------------------
def test_edit_changes_the_working_copy_field_by_field(people, article):
    draft = article("draft")
    edited = services.article_edit(article=draft.reference, actor=people.analyst, title="VPN drops hourly",
                                   type="resolution", expected_version=1)  # fmt: skip
    assert (edited.title, edited.type, edited.body, edited.version) == (
        "VPN drops hourly", "resolution", draft.body, 2,
    )  # fmt: skip
    assert events(draft)[-1] == (
        "update",
        {"title": ["VPN drops every hour", "VPN drops hourly"], "type": ["workaround", "resolution"]},
    )


def test_whoever_edits_an_article_in_review_may_not_approve_it(people, article, approver):
    in_review = article("in_review")
    services.article_edit(article=in_review.reference, actor=approver, body="Reinstall the client.")
    stored = Article.objects.get(pk=in_review.pk)
    assert stored.status == "in_review" and stored.editor_ids == [approver.pk]
    refused(
        lambda: services.article_approve(article=in_review.reference, actor=approver),
        ErrorCode.SEGREGATION_OF_DUTIES,
        f"You edited this version of {in_review.reference}; another incident manager must approve it.",
    )
    services.article_approve(article=in_review.reference, actor=people.im)  # another one may


@pytest.mark.parametrize(
    ("state", "kwargs", "code", "message"),
    [
        ("draft", {"title": "VPN drops every hour"}, ErrorCode.VALIDATION_ERROR,
         "Nothing to change on {ref}."),
        ("draft", {"title": "  "}, ErrorCode.VALIDATION_ERROR, "An article needs a title."),
        ("draft", {"type": "howto"}, ErrorCode.VALIDATION_ERROR,
         "type must be one of resolution, workaround, prevention; got 'howto'."),
        ("draft", {"body": "x" * 50_001}, ErrorCode.VALIDATION_ERROR,
         "body is 50001 characters long; the limit is 50000."),
        ("draft", {"body": "ok", "expected_version": 7}, ErrorCode.CONFLICT,
         "{ref} changed since you loaded it (version 7, now 1). Reload it and try again."),
        ("published", {"body": "ok"}, ErrorCode.INVALID_TRANSITION,
         "{ref} is published; only an article that is draft or in_review can be edited."),
        ("retired", {"body": "ok"}, ErrorCode.INVALID_TRANSITION,
         "{ref} is retired; only an article that is draft or in_review can be edited."),
    ],
)  # fmt: skip
def test_edit_refusals(people, article, state, kwargs, code, message):
    target = article(state)
    refused(
        lambda: services.article_edit(article=target.reference, actor=people.analyst, **kwargs),
        code,
        message.format(ref=target.reference),
    )


@pytest.mark.parametrize(
    ("who", "code", "message"),
    [
        ("reporter", ErrorCode.NOT_FOUND, "Article {ref} was not found."),  # a draft is not theirs to see
        ("nobody", ErrorCode.NOT_FOUND, "Article {ref} was not found."),
        ("auditor", ErrorCode.PERMISSION_DENIED, "Your role may not edit {ref}."),
    ],
)
def test_edit_by_a_role_that_does_not_write(people, article, who, code, message):
    draft = article("draft")
    refused(
        lambda: services.article_edit(article=draft.reference, actor=getattr(people, who), body="x"),
        code,
        message.format(ref=draft.reference),
    )


def test_an_unknown_article_is_not_found(people):
    refused(
        lambda: services.article_submit(article="KB-999999", actor=people.analyst),
        ErrorCode.NOT_FOUND,
        "Article KB-999999 was not found.",
    )


# ---- submit -----------------------------------------------------------------------------
def test_submit_puts_a_draft_up_for_review(people, article):
    draft = article("draft")
    submitted = services.article_submit(article=draft.reference, actor=people.l2, expected_version=1)
    assert (submitted.status, submitted.version) == ("in_review", 2)
    assert events(draft)[-1] == ("update", {"status": ["draft", "in_review"]})


@pytest.mark.parametrize("state", ["in_review", "published", "retired"])
def test_submit_only_a_draft(people, article, state):
    target = article(state)
    refused(
        lambda: services.article_submit(article=target.reference, actor=people.analyst),
        ErrorCode.INVALID_TRANSITION,
        f"{target.reference} is {target.status}; only an article that is draft can be submitted for review.",
    )


# ---- approve ----------------------------------------------------------------------------
def test_approve_publishes_version_one_then_two(people, article, approver):
    in_review = article("in_review", body="Line one.\nLine two.")
    first = services.article_approve(article=in_review.reference, actor=approver, comment="Clear.")
    assert (first.status, first.published_number, first.version) == ("published", 1, 2)
    v1 = first.published_version
    assert (v1.number, v1.body, v1.author, v1.approved_by) == (
        1,
        "Line one.\nLine two.",
        people.analyst,
        approver,
    )
    assert events(in_review)[-1] == (
        "approve",
        {"status": ["in_review", "published"], "published_number": [0, 1], "review_note": ["", "Clear."]},
    )
    event = AuditEvent.objects.filter(ref_id=in_review.reference).order_by("-seq").first()
    assert event.additional_data == {"version": 1, "author": people.analyst.username}

    services.article_revise(article=in_review.reference, actor=people.l2, body="Line one.\nLine 2.")
    services.article_submit(article=in_review.reference, actor=people.l2)
    second = services.article_approve(article=in_review.reference, actor=approver)
    assert second.published_number == 2 and second.published_version.number == 2
    assert list(ArticleVersion.objects.filter(article=in_review).values_list("number", "body", "author")) == [
        (2, "Line one.\nLine 2.", people.l2.pk),
        (1, "Line one.\nLine two.", people.analyst.pk),
    ]


def test_a_published_version_never_changes(article):
    version = article("published").published_version
    version.body = "rewritten"
    with pytest.raises(ValueError, match="a published version is never changed"):
        version.save()


def test_the_author_never_approves(people, article):
    in_review = article("in_review", author=people.im)
    refused(
        lambda: services.article_approve(article=in_review.reference, actor=people.im),
        ErrorCode.SEGREGATION_OF_DUTIES,
        f"You wrote this version of {in_review.reference}; another incident manager must approve it.",
    )


def test_whoever_revises_becomes_the_author_and_may_not_approve_the_revision(people, article, approver):
    published = article("published")
    services.article_revise(article=published.reference, actor=approver)
    services.article_submit(article=published.reference, actor=approver)
    refused(
        lambda: services.article_approve(article=published.reference, actor=approver),
        ErrorCode.SEGREGATION_OF_DUTIES,
        f"You wrote this version of {published.reference}; another incident manager must approve it.",
    )


@pytest.mark.parametrize(
    ("who", "state", "code", "message"),
    [
        ("analyst", "in_review", ErrorCode.PERMISSION_DENIED, "Your role may not approve {ref}."),
        ("sdm", "in_review", ErrorCode.PERMISSION_DENIED, "Your role may not approve {ref}."),
        ("admin", "in_review", ErrorCode.PERMISSION_DENIED, "Your role may not approve {ref}."),
        ("im", "draft", ErrorCode.INVALID_TRANSITION,
         "{ref} is draft; only an article that is in_review can be approved."),
        ("im", "published", ErrorCode.INVALID_TRANSITION,
         "{ref} is published; only an article that is in_review can be approved."),
    ],
)  # fmt: skip
def test_approve_refusals(people, article, who, state, code, message):
    target = article(state)
    refused(
        lambda: services.article_approve(article=target.reference, actor=getattr(people, who)),
        code,
        message.format(ref=target.reference),
    )


# ---- reject -----------------------------------------------------------------------------
def test_reject_sends_it_back_with_the_reason(people, article):
    in_review = article("in_review")
    rejected = services.article_reject(article=in_review.reference, actor=people.im, reason="Add the cause.")
    assert (rejected.status, rejected.review_note) == ("draft", "Add the cause.")
    assert events(in_review)[-1] == (
        "reject",
        {"status": ["in_review", "draft"], "review_note": ["", "Add the cause."]},
    )


@pytest.mark.parametrize(
    ("who", "state", "reason", "code", "message"),
    [
        ("im", "in_review", " ", ErrorCode.VALIDATION_ERROR, "Say why the article goes back to its author."),
        ("l2", "in_review", "No.", ErrorCode.PERMISSION_DENIED, "Your role may not reject {ref}."),
        ("im", "draft", "No.", ErrorCode.INVALID_TRANSITION,
         "{ref} is draft; only an article that is in_review can be rejected."),
    ],
)  # fmt: skip
def test_reject_refusals(people, article, who, state, reason, code, message):
    target = article(state)
    refused(
        lambda: services.article_reject(article=target.reference, actor=getattr(people, who), reason=reason),
        code,
        message.format(ref=target.reference),
    )


# ---- revise -----------------------------------------------------------------------------
def test_revise_starts_a_working_copy_while_readers_keep_the_published_version(people, article):
    published = article("published")
    revised = services.article_revise(article=published.reference, actor=people.l2, title="VPN drops (v2)")
    assert (revised.status, revised.author, revised.title, revised.published_number) == (
        "draft", people.l2, "VPN drops (v2)", 1,
    )  # fmt: skip
    assert events(published)[-1] == (
        "update",
        {"status": ["published", "draft"], "title": ["VPN drops every hour", "VPN drops (v2)"],
         "author": [people.analyst.username, people.l2.username]},
    )  # fmt: skip
    stored = Article.objects.select_related("published_version").get(pk=published.pk)
    assert stored.published_version.title == "VPN drops every hour"


@pytest.mark.parametrize("state", ["draft", "in_review", "retired"])
def test_revise_only_a_published_article(people, article, state):
    target = article(state)
    refused(
        lambda: services.article_revise(article=target.reference, actor=people.analyst),
        ErrorCode.INVALID_TRANSITION,
        f"{target.reference} is {state}; only an article that is published can be revised.",
    )


# ---- retire -----------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["draft", "in_review", "published"])
def test_retire(people, article, state):
    target = article(state)
    retired = services.article_retire(article=target.reference, actor=people.im, reason="Superseded.")
    assert retired.status == "retired" and retired.retired_at is not None
    action, changes = events(target)[-1]
    assert action == "update" and changes["status"] == [state, "retired"]
    assert AuditEvent.objects.filter(ref_id=target.reference).order_by("-seq").first().additional_data == {
        "reason": "Superseded."
    }


@pytest.mark.parametrize(
    ("who", "state", "code", "message"),
    [
        ("analyst", "published", ErrorCode.PERMISSION_DENIED, "Your role may not retire {ref}."),
        ("im", "retired", ErrorCode.INVALID_TRANSITION,
         "{ref} is retired; only an article that is draft, in_review or published can be retired."),
    ],
)  # fmt: skip
def test_retire_refusals(people, article, who, state, code, message):
    target = article(state)
    refused(lambda: services.article_retire(article=target.reference, actor=getattr(people, who)),
            code, message.format(ref=target.reference))  # fmt: skip
