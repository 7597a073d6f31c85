"""The KB API's bodies: rows and details as the caller reads them (the working copy for
staff, the published version for readers; knowledge.selectors.as_read_by), and the strict
inputs of each operation."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import StrictInputSerializer
from incidents.choices import Status
from knowledge import selectors
from knowledge.choices import ArticleStatus, ArticleType
from knowledge.links import link_targets
from knowledge.services import STATE_RULES

_time = serializers.DateTimeField()


def _when(value):
    return _time.to_representation(value) if value else None


class ArticleRowSerializer(serializers.Serializer):
    """A list row: reference, title, type, status, author, the published version's number
    and time; with ``rank`` when the list is a search (higher is better)."""

    id = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    type = serializers.ChoiceField(choices=ArticleType.choices, read_only=True)
    status = serializers.ChoiceField(choices=ArticleStatus.choices, read_only=True)
    author = serializers.CharField(read_only=True)
    published_number = serializers.IntegerField(read_only=True, allow_null=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    rank = serializers.FloatField(read_only=True, required=False)

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


class VersionSerializer(serializers.Serializer):
    """One published version, as the versions list shows it."""

    number = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    type = serializers.ChoiceField(choices=ArticleType.choices, read_only=True)
    author = serializers.CharField(read_only=True)
    approved_by = serializers.CharField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True)


class PublishedVersionSerializer(VersionSerializer):
    body = serializers.CharField(read_only=True)


class VersionDetailSerializer(PublishedVersionSerializer):
    id = serializers.CharField(read_only=True, help_text="The article's reference.")


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


class LinkedIncidentSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)


class LinkedRecordSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True, help_text="A change's summary.")
    status = serializers.CharField(read_only=True)


class ArticleDetailSerializer(serializers.Serializer):
    """The article as the caller reads it (staff: the working copy, with ``review_note`` and
    ``retired_at``; readers: the published version), with its published version, its
    versions (newest first), the incidents linked to it that the caller may see, and the
    operations the caller may take now."""

    id = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    type = serializers.ChoiceField(choices=ArticleType.choices, read_only=True)
    status = serializers.ChoiceField(choices=ArticleStatus.choices, read_only=True)
    author = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    published_number = serializers.IntegerField(read_only=True, allow_null=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    review_note = serializers.CharField(read_only=True, required=False, help_text="Staff only.")
    retired_at = serializers.DateTimeField(
        read_only=True, allow_null=True, required=False, help_text="Staff only."
    )
    published_version = PublishedVersionSerializer(read_only=True, allow_null=True)
    versions = VersionSerializer(many=True, read_only=True)
    incidents = LinkedIncidentSerializer(many=True, read_only=True)
    problems = LinkedRecordSerializer(many=True, read_only=True, help_text="The problems it was written for.")
    changes = LinkedRecordSerializer(many=True, read_only=True, help_text="The changes it was written for.")
    allowed_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(STATE_RULES)), read_only=True
    )

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
        for target in link_targets():  # problems, changes (knowledge.links)
            body[target.key] = target.items(article, user)
        return body


class DiffLineSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=[(" ", "same"), ("+", "added"), ("-", "removed")], read_only=True)
    old = serializers.IntegerField(read_only=True, allow_null=True, help_text="Its line number before.")
    new = serializers.IntegerField(read_only=True, allow_null=True, help_text="Its line number after.")
    text = serializers.CharField(read_only=True)


class DiffBodySerializer(serializers.Serializer):
    unified = serializers.CharField(read_only=True, help_text="A unified diff (difflib).")
    added = serializers.IntegerField(read_only=True)
    removed = serializers.IntegerField(read_only=True)
    lines = DiffLineSerializer(many=True, read_only=True)


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["working"]}]})
class VersionTokenField(serializers.Field):
    """A version number, or ``working`` for the working copy."""

    def to_representation(self, value):
        return value


class DiffSerializer(serializers.Serializer):
    """What changed from one version to another: ``title`` and ``type`` as [old, new] where
    they changed (else null), the body line by line. ``from``/``to``: a version number, or
    ``working`` (the working copy, for staff)."""

    def get_fields(self):
        def pair():
            return serializers.ListField(child=serializers.CharField(), read_only=True, allow_null=True)

        return {
            "id": serializers.CharField(read_only=True),
            "from": VersionTokenField(read_only=True),
            "to": VersionTokenField(read_only=True),
            "title": pair(),
            "type": pair(),
            "body": DiffBodySerializer(read_only=True),
        }


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
    problems = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    changes = serializers.ListField(child=serializers.CharField(), required=False, default=list)
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
