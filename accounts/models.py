import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from core.models import TimeStampedModel


class User(AbstractUser):
    """An IMS user. Roles are groups (core.roles.Role); teams are accounts.Team."""

    class Meta:
        ordering = ["username"]


class TeamCode(models.TextChoices):
    SERVICE_DESK = "service_desk", "Service desk"
    L1 = "L1", "L1 support"
    L2 = "L2", "L2 support"
    L3 = "L3", "L3 engineering"
    FACILITIES = "facilities", "Facilities"
    CHANGE_MGMT = "change_mgmt", "Change management"
    DEVOPS = "devops", "DevOps"
    INCIDENT_MANAGER = "incident_manager", "Incident management"


class Team(TimeStampedModel):
    """A resolver or coordination team; created by a data migration, members edited in admin."""

    code = models.CharField(max_length=32, unique=True, choices=TeamCode.choices)
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class TokenScope(models.TextChoices):
    FULL = "full", "Full API access (as its user)"
    INTAKE = "intake", "Monitoring intake only (post events)"


class ApiToken(TimeStampedModel):
    """An API token. Only its SHA-256 is stored; the key is shown once, when created.

    Keys are 40 random hex characters (160 bits), so a fast hash is enough: there is
    nothing to brute-force that a slow hash would protect.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(
        max_length=8, editable=False, help_text="First characters of the key, to tell tokens apart."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    scope = models.CharField(
        max_length=8,
        choices=TokenScope.choices,
        default=TokenScope.FULL,
        help_text="An intake token may only post monitoring events; everything else answers 403.",
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user}, {self.name})"

    @classmethod
    def issue(
        cls, *, user, name: str = "default", expires_at=None, scope: str = TokenScope.FULL
    ) -> tuple["ApiToken", str]:
        """Create a token and return it with its key (the only time the key is known)."""
        key = secrets.token_hex(20)
        token = cls.objects.create(
            user=user, name=name, prefix=key[:8], key_hash=hash_token(key), expires_at=expires_at, scope=scope
        )
        return token, key
