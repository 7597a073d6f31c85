"""The tool usage API: ``/api/v1/tool-usages/`` (list, detail, create). Views only parse,
call the service and render."""

from drf_spectacular.utils import extend_schema
from rest_framework import status

from incidents.services import incidents_record_list_read
from operations.api import GovernedViewSet
from tooling.api import serializers as s
from tooling.filtersets import ToolUsageFilterSet
from tooling.selectors import tool_usage_rows
from tooling.services import TOOL_USAGES, tool_usage_record


class ToolUsageViewSet(GovernedViewSet):
    """Tool usages of the incidents the caller may see (staff). Filters: incident, tool,
    outcome, executor, service, automation_candidate, created_after, created_before, q."""

    governed = TOOL_USAGES
    serializer_class = s.ToolUsageSerializer
    detail_serializer_class = s.ToolUsageSerializer
    filterset_class = ToolUsageFilterSet
    subject = "tool_usage"

    def get_queryset(self):
        return tool_usage_rows(self.request.user)

    # security incidents named by the usages shown are read, and audited as such (SPEC.md)
    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        incidents_record_list_read(
            incidents=[u.incident for u in rows], actor=self.request.user, via="tool_usage"
        )
        return page

    def detail_response(self, obj, code=status.HTTP_200_OK, **extra):
        incidents_record_list_read(incidents=[obj.incident], actor=self.request.user, via="tool_usage")
        return super().detail_response(obj, code, **extra)

    @extend_schema(
        request=s.ToolUsageCreateSerializer,
        responses={201: s.ToolUsageSerializer},
        description="Records a tool used on an incident (L2/L3/DevOps on incidents assigned to their team, "
        "incident managers on any): audited tool_use on the incident and the usage. A third "
        "automation_script within 30 days for the same service and category is flagged "
        "automation_candidate.",
    )
    def create(self, request, *args, **kwargs):
        data = s.ToolUsageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.created(tool_usage_record(actor=request.user, **data.validated_data))
