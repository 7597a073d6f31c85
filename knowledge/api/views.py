"""The KB API (API.md): ``/api/v1/kb/`` (list with filters and ``q``, create, detail with
``allowed_actions``, PATCH of the working copy, one POST per operation, the versions and a
diff of two), and the incident's ``link-kb/`` and ``kb-update/``.

Views only parse, call the service and render; services decide everything else.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import not_found
from incidents.api.serializers import IncidentDetailSerializer
from incidents.api.views import IncidentViewSet
from knowledge import selectors, services
from knowledge.api import serializers as s
from knowledge.diff import article_diff
from knowledge.filtersets import ArticleFilterSet
from operations.api import GovernedViewSet, expected_version


class ArticleViewSet(GovernedViewSet):
    """KB articles as the caller reads them: staff every article's working copy, readers the
    published version of the articles in use. Filters: status, type, author, incident,
    created_after, created_before, q (full-text search, best first)."""

    governed = services.ARTICLES
    subject = "article"
    serializer_class = s.ArticleRowSerializer
    detail_serializer_class = s.ArticleDetailSerializer
    filterset_class = ArticleFilterSet
    reference_label = "Article"

    def get_queryset(self):
        if self.action == "list":
            return selectors.article_rows(self.request.user).order_by("-created_at", "-id")
        return selectors.article_detail_queryset(self.request.user)

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(request=s.ArticleCreateSerializer, responses={201: s.ArticleDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ArticleCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.created(services.article_create(actor=request.user, **data.validated_data))

    @extend_schema(request=s.ArticleEditSerializer, responses={200: s.ArticleDetailSerializer})
    def partial_update(self, request, id=None):
        return self.act(request, id, s.ArticleEditSerializer, services.article_edit)

    def _operation(serializer):  # noqa: N805 - a decorator factory used in the class body
        return extend_schema(request=serializer, responses={200: s.ArticleDetailSerializer})

    @_operation(s.VersionedSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, id=None):
        return self.act(request, id, s.VersionedSerializer, services.article_submit)

    @_operation(s.ApproveSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, id=None):
        return self.act(request, id, s.ApproveSerializer, services.article_approve)

    @_operation(s.RejectSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, id=None):
        return self.act(request, id, s.RejectSerializer, services.article_reject)

    @_operation(s.ArticleReviseSerializer)
    @action(detail=True, methods=["post"])
    def revise(self, request, id=None):
        return self.act(request, id, s.ArticleReviseSerializer, services.article_revise)

    @_operation(s.RetireSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, id=None):
        return self.act(request, id, s.RetireSerializer, services.article_retire)

    @extend_schema(request=None, responses={200: s.VersionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request, id=None):
        """The published versions, newest first (without their bodies)."""
        article = self.get_object()
        return Response([s.version_body(v) for v in selectors.article_versions(article)])

    @extend_schema(
        request=None,
        responses={200: s.VersionDetailSerializer},
        parameters=[
            OpenApiParameter("number", int, OpenApiParameter.PATH, description="The version number.")
        ],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<number>[0-9]+)",
        pagination_class=None,
        filter_backends=[],
    )
    def version(self, request, id=None, number=None):
        """One published version, with its body."""
        article = self.get_object()
        version = selectors.article_version(article, int(number))
        if version is None:
            raise not_found(f"Version {number} of {article.reference}")
        return Response({"id": article.reference, **s.version_body(version)})

    @extend_schema(
        request=None,
        responses={200: s.DiffSerializer},
        parameters=[
            OpenApiParameter("from", str, description="A version number (staff: or working)."),
            OpenApiParameter("to", str, description="A version number (staff: or working)."),
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def diff(self, request, id=None):
        """What changed between two versions: ``?from=1&to=2`` (staff may name the working
        copy: ``to=working``)."""
        article = self.get_object()
        params = request.query_params
        return Response(
            {
                "id": article.reference,
                **article_diff(article, request.user, params.get("from"), params.get("to")),
            }
        )


class IncidentKbViewSet(IncidentViewSet):
    """The incident's KB actions; each answers the incident as its own actions do."""

    @extend_schema(request=s.LinkKbSerializer, responses={200: IncidentDetailSerializer})
    def link_kb(self, request, id=None):
        return self._act(request, id, s.LinkKbSerializer, services.incident_link_kb)

    @extend_schema(request=s.KbUpdateSerializer, responses={200: IncidentDetailSerializer})
    def kb_update(self, request, id=None):
        data = s.KbUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        expected = expected_version(request, values, "incident")
        values.pop("version", None)
        incident, article = services.incident_kb_update(
            incident=id, actor=request.user, expected_version=expected, **values
        )
        written = {"id": article.reference, "status": article.status, "version": article.version}
        return self._detail(request, id, saved=incident, kb_article=written)
