"""Reads of KB articles, scoped to the viewer: staff see every article; others the
published ones."""

from django.db.models import QuerySet

from core.roles import STAFF_ROLES, user_roles
from knowledge.choices import ArticleStatus
from knowledge.models import Article


def articles_visible_to(user) -> QuerySet[Article]:
    roles = user_roles(user)
    if not roles:
        return Article.objects.none()
    if roles & STAFF_ROLES:
        return Article.objects.all()
    return Article.objects.filter(status=ArticleStatus.PUBLISHED)
