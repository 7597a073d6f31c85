"""The KB API's bodies: rows and details as the caller reads them (the working copy for
staff, the published version for readers; knowledge.selectors.as_read_by), and the strict
inputs of each operation."""

from rest_framework import serializers

from core.api.serializers import StrictInputSerializer
from knowledge import selectors

_time = serializers.DateTimeField()


def _when(value):
    return _time.to_representation(value) if value else None


class ArticleRowSerializer(serializers.BaseSerializer):
    """A list row: reference, title, type, status, author, the published version's number
    and time; with ``rank`` when the list is a search."""

    def to_representation(self, article) -> dict:
        user = self.context["request"].user
        row = {"id": article.reference, **selectors.as_read_by(article, user)}
        row.update(
            published_number=article.published_number or None,
            published_at=_when(article.published_at),
            created_at=_when(article.created_at),
            updated_at=_when(article.updated_at),
        )
        rank = getattr(article, "rank", None)
        if rank is not None:
            row["rank"] = round(float(rank), 6)
        return row


def version_body(version, *, with_body: bool = True) -> dict:
    """One published version (a model or a row of selectors.article_versions)."""
    if isinstance(version, dict):
        return {
            "number": version["number"],
            "title": version["title"],
            "type": version["type"],
            "author": version["author__username"],
            "approved_by": version["approved_by__username"],
            "published_at": _when(version["published_at"]),
        }
    body = {
        "number": version.number,
        "title": version.title,
        "type": version.type,
        "author": version.author.get_username(),
        "approved_by": version.approved_by.get_username(),
        "published_at": _when(version.published_at),
    }
    if with_body:
        body["body"] = version.body
    return body


class ArticleDetailSerializer(serializers.BaseSerializer):
    """The article as the caller reads it, with its published version, its versions (newest
    first) and the incidents linked to it that the caller may see; the viewset adds
    ``allowed_actions``."""

    def to_representation(self, article) -> dict:
        user = self.context["request"].user
        staff = selectors.reads_working_copy(user)
        published = article.published_version
        body = {"id": article.reference, **selectors.as_read_by(article, user)}
        body["body"] = article.body if staff or published is None else published.body
        body.update(
            version=article.version,
            published_number=article.published_number or None,
            published_at=_when(article.published_at),
            created_at=_when(article.created_at),
            updated_at=_when(article.updated_at),
        )
        if staff:
            body.update(review_note=article.review_note, retired_at=_when(article.retired_at))
        body["published_version"] = version_body(published) if published is not None else None
        body["versions"] = [version_body(v) for v in selectors.article_versions(article)]
        body["incidents"] = [
            {"id": i["reference"], "title": i["title"], "status": i["status"]}
            for i in selectors.article_incidents(article, user)
        ]
        return body


class VersionedSerializer(StrictInputSerializer):
    """Every operation accepts ``version``: the record's version when the client loaded it."""

    version = serializers.IntegerField(required=False, min_value=1)


def _text(**kwargs):
    # the body is taken as typed, so a refusal's line numbers are the writer's own
    return serializers.CharField(allow_blank=True, trim_whitespace=False, **kwargs)


class ArticleCreateSerializer(StrictInputSerializer):
    title = _text()
    body = _text()
    type = serializers.CharField()
    incidents = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    submit = serializers.BooleanField(required=False, default=False)


GOVERNED = {
    "status": "Read-only; use an action (submit/, approve/, reject/, revise/, retire/).",
    "published_version": "Read-only; approve/ publishes a new version.",
    "published_number": "Read-only; approve/ publishes a new version.",
    "author": "Read-only; whoever writes or revises the working copy is its author.",
    "incidents": "Not changed here; use the incident's link-kb/ action.",
}


class ArticleEditSerializer(VersionedSerializer):
    title = _text(required=False)
    body = _text(required=False)
    type = serializers.CharField(required=False)

    governed_fields = GOVERNED


class ArticleReviseSerializer(ArticleEditSerializer):
    """revise/: optionally with the new working copy's first changes."""


class ApproveSerializer(VersionedSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RejectSerializer(VersionedSerializer):
    reason = serializers.CharField(allow_blank=True)


class RetireSerializer(VersionedSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class LinkKbSerializer(VersionedSerializer):
    article = serializers.CharField(allow_blank=True)


class KbUpdateSerializer(VersionedSerializer):
    title = _text()
    body = _text()
    type = serializers.CharField()
    article = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    submit = serializers.BooleanField(required=False, default=False)
