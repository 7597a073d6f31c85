"""One FilterSet for the KB list: the API's ``/api/v1/kb/`` and the browser's ``/kb/``.

Readers (end users) filter what they read, the published version: its type and author; a
status other than ``published`` finds them nothing. ``q`` searches (knowledge.search):
a reference (``KB-000012``) exactly, otherwise the words of the title and body, best first.
"""

import django_filters

from core.filters import IsoDateTimeFilter
from incidents.selectors import incidents_visible_to
from knowledge.choices import ArticleStatus, ArticleType
from knowledge.models import Article
from knowledge.selectors import article_search, reads_working_copy


class ArticleFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ArticleStatus.choices, method="filter_status")
    type = django_filters.MultipleChoiceFilter(choices=ArticleType.choices, method="filter_type")
    author = django_filters.CharFilter(method="filter_author")
    incident = django_filters.CharFilter(method="filter_incident")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search")

    class Meta:
        model = Article
        fields = []

    @property
    def _staff(self) -> bool:
        return reads_working_copy(getattr(self.request, "user", None))

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        if self._staff:
            return queryset.filter(status__in=value)
        return queryset if ArticleStatus.PUBLISHED in value else queryset.none()

    def filter_type(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(**{"type__in" if self._staff else "published_version__type__in": value})

    def filter_author(self, queryset, name, value):
        field = "author__username" if self._staff else "published_version__author__username"
        return queryset.filter(**{field: value.strip()})

    def filter_incident(self, queryset, name, value):
        """The articles linked to an incident the viewer may see (another's is no incident)."""
        visible = incidents_visible_to(getattr(self.request, "user", None))
        return queryset.filter(incidents__reference=value.strip().upper(), incidents__in=visible)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("KB-") and " " not in value:
            return queryset.filter(reference=value.upper())
        return article_search(queryset, value, getattr(self.request, "user", None))
