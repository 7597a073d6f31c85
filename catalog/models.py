from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.models import ReferencedModel, TimeStampedModel


class Criticality(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class BusinessCalendar(TimeStampedModel):
    """Working days and hours in a time zone. The SLA engine measures business-hour targets
    against the calendar of the incident's service."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    # ISO weekdays, Monday = 1
    working_days = models.JSONField(default=list, help_text="ISO weekdays, e.g. [1, 2, 3, 4, 5]")
    day_start = models.TimeField(default=time(9, 0))
    day_end = models.TimeField(default=time(17, 0), help_text="00:00 means midnight at the end of the day.")
    holiday_subdivision = models.CharField(
        max_length=8, blank=True, help_text="Region for public holidays, e.g. ENG for England in GB"
    )
    holiday_country = models.CharField(
        max_length=8, blank=True, help_text="Country code for public holidays, e.g. GB"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        """A calendar the SLA engine can measure on: a known zone, real weekdays, a day that
        ends after it starts, and a holiday region the ``holidays`` package knows."""
        errors = {}
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            errors["time_zone"] = (
                f"Unknown time zone {self.time_zone!r}; use an IANA name such as Europe/London."
            )
        days = self.working_days
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days)
            or len(set(days)) != len(days)
        ):
            errors["working_days"] = (
                "List the working ISO weekdays once each, 1 (Monday) to 7 (Sunday), e.g. [1, 2, 3, 4, 5]."
            )
        if self.day_start and self.day_end and self.day_end <= self.day_start and self.day_end != time(0, 0):
            errors["day_end"] = "The working day must end after it starts (00:00 means midnight at the end)."
        if self.holiday_subdivision and not self.holiday_country:
            errors["holiday_subdivision"] = "A region needs its country in holiday_country."
        elif self.holiday_country:
            try:
                holidays.country_holidays(self.holiday_country)
            except NotImplementedError:
                errors["holiday_country"] = (
                    f"No public holidays are known for {self.holiday_country!r}; "
                    "use an ISO country code such as GB."
                )
            else:
                try:
                    holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision or None)
                except NotImplementedError:
                    errors["holiday_subdivision"] = (
                        f"{self.holiday_country} has no region {self.holiday_subdivision!r} "
                        "in the holidays package."
                    )
        if errors:
            raise ValidationError(errors)


class Service(ReferencedModel):
    REFERENCE_PREFIX = "SVC"

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    criticality = models.CharField(max_length=8, choices=Criticality.choices, default=Criticality.MEDIUM)
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="services"
    )
    depends_on = models.ManyToManyField("self", symmetrical=False, related_name="dependents", blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="services"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class Vendor(ReferencedModel):
    REFERENCE_PREFIX = "VND"

    name = models.CharField(max_length=200, unique=True)
    website = models.URLField(blank=True)
    support_portal = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class VendorContact(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor.name})"


class CalendarClosure(models.Model):
    """A date the desk is closed on, beyond weekends and public holidays."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="closure_once_per_day")]

    def __str__(self) -> str:
        return f"{self.calendar}: {self.date} {self.reason}".strip()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._touch_calendar()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._touch_calendar()
        return result

    def _touch_calendar(self) -> None:
        # the SLA clock caches calendars by (id, updated_at): a changed closure is a new version
        BusinessCalendar.objects.filter(pk=self.calendar_id).update(updated_at=timezone.now())
