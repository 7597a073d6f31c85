"""The PIR API (API.md ``/api/v1/pirs/``): list, create, detail, PATCH of a draft,
``complete/``, and the action items: ``POST action-items/`` adds one,
``POST action-items/{number}/`` changes one (``status`` done or cancelled; ``description``,
``owner``, ``due_date``). Every operation answers the review as it now stands."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action

from operations.api import GovernedViewSet
from reviews import services
from reviews.api import serializers as s
from reviews.filtersets import ReviewFilterSet
from reviews.selectors import with_item_counts
from reviews.services.base import REVIEWS


def _schema(serializer, **options):
    return extend_schema(request=serializer, responses={200: s.ReviewDetailSerializer}, **options)


class ReviewViewSet(mixins.CreateModelMixin, GovernedViewSet):
    """Post-incident reviews of the incidents the caller may see. Filters: status, incident,
    author, created_after, created_before, q (text, or a PIR-/INC- reference)."""

    governed = REVIEWS
    serializer_class = s.ReviewListSerializer
    detail_serializer_class = s.ReviewDetailSerializer
    filterset_class = ReviewFilterSet
    subject = "review"

    @property
    def reference_label(self) -> str:
        return "Post-incident review"

    def rows(self, queryset):
        queryset = queryset.select_related("incident", "author")
        if self.action == "list":
            return with_item_counts(queryset).order_by("-created_at", "-id")
        return queryset.select_related("completed_by").prefetch_related("kb_articles", "action_items__owner")

    @extend_schema(request=s.ReviewCreateSerializer, responses={201: s.ReviewDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["action_items"] = [dict(item) for item in values["action_items"]]
        return self.created(services.review_create(actor=request.user, **values))

    @_schema(s.ReviewUpdateSerializer)
    def partial_update(self, request, id=None):
        return self.act(request, id, s.ReviewUpdateSerializer, services.review_update)

    @_schema(s.CompleteSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, id=None):
        return self.act(request, id, s.CompleteSerializer, services.review_complete)

    @_schema(s.ActionItemAddSerializer)
    @action(detail=True, methods=["post"], url_path="action-items")
    def action_items(self, request, id=None):
        return self.act(request, id, s.ActionItemAddSerializer, services.action_item_add)

    @_schema(s.ActionItemUpdateSerializer, operation_id="v1_pirs_action_items_update")
    @action(detail=True, methods=["post"], url_path=r"action-items/(?P<number>[0-9]+)")
    def action_item(self, request, id=None, number=None):
        return self.act(
            request, id, s.ActionItemUpdateSerializer, services.action_item_update, number=int(number)
        )
