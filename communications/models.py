from django.conf import settings
from django.db import models

from core.models import ReferencedModel


class Recipients(models.TextChoices):
    END_USERS = "end_users"
    STAKEHOLDERS = "stakeholders"
    EXECUTIVES = "executives"
    IT_STAFF = "IT_staff"
    REPORTER = "reporter"
    TEAM = "team"


class Channel(models.TextChoices):
    IMS = "ims", "IMS record"
    EMAIL = "email"
    WEBHOOK = "webhook"
    MEETING = "meeting"


class Kind(models.TextChoices):
    UPDATE = "update"
    ACKNOWLEDGEMENT = "acknowledgement"
    ESCALATION_NOTICE = "escalation_notice"
    COMMENT = "comment"


class DeliveryStatus(models.TextChoices):
    RECORDED = "recorded"
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Communication(ReferencedModel):
    """A message recorded in IMS about a record (an incident, a problem, …).

    The subject is a reference string so that this app depends on no other entity app.
    Delivery (e-mail, webhooks) is the communications issue's work: rows start
    ``recorded`` (IMS channel) or ``pending``.
    """

    REFERENCE_PREFIX = "COM"

    subject_ref = models.CharField(max_length=20, db_index=True)
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.UPDATE)
    recipients = models.JSONField(default=list)
    recipient_detail = models.CharField(max_length=200, blank=True, help_text="A user or team addressed.")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.IMS)
    message = models.TextField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivery_status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.RECORDED
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject_ref", "created_at"], name="comm_subject_created")]

    def __str__(self) -> str:
        return f"{self.reference} → {', '.join(self.recipients)} ({self.subject_ref})"
