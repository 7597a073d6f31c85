"""The problem API's bodies: list rows, the detail, and one input serializer per operation
(shape only: the services check every rule)."""

from rest_framework import serializers

from core.api.serializers import StrictInputSerializer, governed_by
from problems.models import Problem
from problems.selectors import problem_articles_visible_to, problem_links_visible_to

_username = {"slug_field": "username", "read_only": True}


class ProblemListSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference", read_only=True)
    affected_service = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    owner_team = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(allow_null=True, **_username)
    created_by = serializers.SlugRelatedField(**_username)
    is_known_error = serializers.BooleanField(read_only=True)
    incident_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id", "title", "status", "version", "affected_service", "owner_team", "assignee",
            "created_by", "is_known_error", "incident_count", "created_at", "updated_at", "resolved_at",
            "closed_at",
        ]  # fmt: skip
        read_only_fields = fields


class LinkedIncidentSerializer(serializers.Serializer):
    id = serializers.CharField(source="incident.reference")
    title = serializers.CharField(source="incident.title")
    status = serializers.CharField(source="incident.status")
    priority = serializers.CharField(source="incident.priority")
    linked_by = serializers.CharField(source="linked_by.username")
    linked_at = serializers.DateTimeField()


class LinkedArticleSerializer(serializers.Serializer):
    id = serializers.CharField(source="reference")
    title = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()


class ProblemDetailSerializer(serializers.ModelSerializer):
    """The problem with the incidents and KB articles the caller may see (and how many linked
    incidents are restricted from them), and when a resolved one may close."""

    id = serializers.CharField(source="reference", read_only=True)
    affected_service = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    owner_team = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(allow_null=True, **_username)
    created_by = serializers.SlugRelatedField(**_username)
    is_known_error = serializers.BooleanField(read_only=True)
    incidents = serializers.SerializerMethodField()
    restricted_incident_count = serializers.SerializerMethodField()
    articles = serializers.SerializerMethodField()
    stability_window_ends_at = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = [
            "id", "title", "description", "status", "version", "affected_service", "owner_team",
            "assignee", "created_by", "symptom", "root_cause", "workaround", "is_known_error",
            "fix_summary", "validation_evidence", "closure_notes", "investigation_started_at",
            "known_error_at", "resolved_at", "stability_window_ends_at", "closed_at", "incidents",
            "restricted_incident_count", "articles", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _links(self, obj):
        # the view reads them once (and audits the security incidents among them)
        if not hasattr(obj, "visible_links"):
            obj.visible_links, obj.hidden_links = problem_links_visible_to(self.context["request"].user, obj)
        return obj.visible_links, obj.hidden_links

    def get_incidents(self, obj) -> list[dict]:
        return LinkedIncidentSerializer(self._links(obj)[0], many=True).data

    def get_restricted_incident_count(self, obj) -> int:
        return len(self._links(obj)[1])

    def get_articles(self, obj) -> list[dict]:
        articles = problem_articles_visible_to(self.context["request"].user, obj)
        return LinkedArticleSerializer(articles, many=True).data

    def get_stability_window_ends_at(self, obj) -> str | None:
        ends = (
            obj.stability_window_ends_at(self.context["stability_window_days"]) if obj.resolved_at else None
        )
        return serializers.DateTimeField().to_representation(ends) if ends else None


# ---- input ------------------------------------------------------------------------------
class _Versioned(StrictInputSerializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="The version acted on.")


_text = {"required": False, "allow_blank": True}
# what the operation needs, checked by its service (which names every field missing at once)
_given = {"default": "", "allow_blank": True}


class ProblemCreateSerializer(StrictInputSerializer):
    title = serializers.CharField(**_given)
    description = serializers.CharField(**_text)
    affected_service = serializers.CharField(help_text="SVC-…", **_given)
    incidents = serializers.ListField(
        child=serializers.CharField(), required=False, max_length=200, help_text="INC-… to link at once."
    )
    symptom = serializers.CharField(**_text)
    owner_team = serializers.CharField(required=False, allow_blank=True, help_text="A team code.")
    assignee = serializers.CharField(required=False, allow_blank=True, help_text="A username.")


class ProblemUpdateSerializer(_Versioned):
    governed_fields = governed_by(
        {
            "start-investigation/ or resolve/": ("status",),
            "record-workaround/": ("workaround", "known_error_at"),
            "resolve/": ("fix_summary", "validation_evidence", "resolved_at"),
            "close/": ("closure_notes", "closed_at"),
            "link-incident/": ("incidents",),
        }
    )
    title = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(**_text)
    affected_service = serializers.CharField(required=False)
    symptom = serializers.CharField(**_text)
    root_cause = serializers.CharField(**_text)
    owner_team = serializers.CharField(
        required=False, allow_blank=True, help_text='A team code; "" for none.'
    )
    assignee = serializers.CharField(required=False, allow_blank=True, help_text='A username; "" for nobody.')


class StartInvestigationSerializer(_Versioned):
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="Required to reopen a resolved one."
    )


class RecordWorkaroundSerializer(_Versioned):
    workaround = serializers.CharField(**_given)
    symptom = serializers.CharField(required=False, allow_blank=True, help_text="Default: the problem's.")
    root_cause = serializers.CharField(required=False, allow_blank=True, help_text="Default: the problem's.")


class LinkIncidentSerializer(_Versioned):
    incident = serializers.CharField(help_text="INC-…", **_given)


class LinkProblemSerializer(_Versioned):
    """The incident's side: ``version`` is the incident's."""

    problem = serializers.CharField(help_text="PRB-…", **_given)


class ProblemResolveSerializer(_Versioned):
    fix_summary = serializers.CharField(**_given)
    validation_evidence = serializers.CharField(**_given)


class ProblemCloseSerializer(_Versioned):
    closure_notes = serializers.CharField(**_given)
