from django.db import models


class ArticleType(models.TextChoices):
    RESOLUTION = "resolution", "Resolution"
    WORKAROUND = "workaround", "Workaround"
    PREVENTION = "prevention", "Prevention"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"
