from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.api.permissions import IsStaffRole
from core.errors import not_found
from sla.api.serializers import SlaPolicyInputSerializer, SlaPolicySerializer
from sla.models import SlaPolicy
from sla.services import sla_policy_publish


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The policy's id, e.g. SLA-v3."
            )
        ]
    )
)
class SlaPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """SLA policy versions, newest first (staff read them). POST publishes a new version
    (incident managers and admins); it applies to incidents logged from then on."""

    queryset = SlaPolicy.objects.prefetch_related("targets").select_related("created_by").order_by("-version")
    serializer_class = SlaPolicySerializer
    permission_classes = [IsStaffRole]
    lookup_url_kwarg = "id"

    def get_object(self):
        raw = self.kwargs["id"].removeprefix("SLA-v")
        policy = self.get_queryset().filter(version=int(raw)).first() if raw.isdigit() else None
        if policy is None:
            raise not_found(f"SLA policy {self.kwargs['id']}")
        return policy

    @extend_schema(request=SlaPolicyInputSerializer, responses={201: SlaPolicySerializer})
    def create(self, request):
        data = SlaPolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = sla_policy_publish(actor=request.user, **data.validated_data)
        return Response(
            SlaPolicySerializer(self.get_queryset().get(pk=policy.pk)).data, status=status.HTTP_201_CREATED
        )
