from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import StrictInputSerializer
from reviews.choices import ActionItemStatus, ReviewStatus
from reviews.models import ActionItem, Review
from reviews.policy import may, may_update_item_status


def item_actions(user, review: Review, item: ActionItem) -> list[str]:
    """What ``user`` may do to one action item now: ``done`` and ``cancel`` (an open item:
    its owner or an incident manager), ``edit`` (an incident manager, a draft review)."""
    actions = []
    if item.status == ActionItemStatus.OPEN and may_update_item_status(user, item):
        actions += ["done", "cancel"]
    if review.status == ReviewStatus.DRAFT and may(user, "update_item"):
        actions.append("edit")
    return actions


class ActionItemSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = ["number", "description", "owner", "due_date", "status", "done_at", "cancelled_at",
                  "chased_at", "overdue", "allowed_actions"]  # fmt: skip
        read_only_fields = fields

    def get_overdue(self, item) -> bool:
        today = self.context.setdefault("today", timezone.localdate())
        return item.status == ActionItemStatus.OPEN and item.due_date is not None and item.due_date < today

    def get_allowed_actions(self, item) -> list[str]:
        return item_actions(self.context["request"].user, self.context["review"], item)


class ReviewSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference", read_only=True)
    incident = serializers.CharField(source="incident.reference", read_only=True)
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "incident", "incident_title", "status", "required_because", "author", "version",
                  "created_at", "updated_at", "completed_at"]  # fmt: skip
        read_only_fields = fields


class ReviewListSerializer(ReviewSerializer):
    items_open = serializers.IntegerField(read_only=True)
    items_overdue = serializers.IntegerField(read_only=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "items_open", "items_overdue"]
        read_only_fields = fields


class ReviewDetailSerializer(ReviewSerializer):
    completed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    kb_articles = serializers.SerializerMethodField()
    action_items = serializers.SerializerMethodField()

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "completed_by", "timeline", "contributing_factors",
                  "root_cause", "lessons", "kb_articles", "action_items"]  # fmt: skip
        read_only_fields = fields

    def get_kb_articles(self, review) -> list[str]:
        return sorted(a.reference for a in review.kb_articles.all())

    @extend_schema_field(ActionItemSerializer(many=True))
    def get_action_items(self, review) -> list[dict]:
        context = {**self.context, "review": review}
        return ActionItemSerializer(review.action_items.all(), many=True, context=context).data


# ---- input ------------------------------------------------------------------------------
class VersionedSerializer(StrictInputSerializer):
    version = serializers.IntegerField(required=False, min_value=1)


class ActionItemInputSerializer(StrictInputSerializer):
    description = serializers.CharField(allow_blank=True, trim_whitespace=False)
    owner = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class ReviewCreateSerializer(StrictInputSerializer):
    incident = serializers.CharField(max_length=20)
    timeline = serializers.CharField(allow_blank=True, trim_whitespace=False)
    contributing_factors = serializers.CharField(allow_blank=True, trim_whitespace=False)
    root_cause = serializers.CharField(allow_blank=True, trim_whitespace=False)
    action_items = ActionItemInputSerializer(many=True, required=False, default=list)
    lessons = serializers.CharField(allow_blank=True, required=False, default="")
    kb_articles = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, default=list
    )


class ReviewUpdateSerializer(VersionedSerializer):
    governed_fields = {
        "status": "Not changed here; use the complete/ action.",
        "action_items": "Not changed here; use action-items/ and action-items/{number}/.",
    }

    timeline = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    contributing_factors = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    root_cause = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    lessons = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    kb_articles = serializers.ListField(child=serializers.CharField(max_length=20), required=False)


class CompleteSerializer(VersionedSerializer):
    pass


class ActionItemAddSerializer(VersionedSerializer):
    description = serializers.CharField(allow_blank=True, trim_whitespace=False)
    owner = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class ActionItemUpdateSerializer(VersionedSerializer):
    status = serializers.CharField(required=False, help_text="done or cancelled")
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    owner = serializers.CharField(required=False, allow_blank=True)
    due_date = serializers.DateField(required=False)
