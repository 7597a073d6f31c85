"""A simulation (SOP 18): a tabletop or drill exercise run by an incident manager — its
scenario and scope, participants, the timeline of injects, outcomes and follow-up actions
with owners. ``status`` is a protected django-fsm field moved only by the @transition
methods below (no I/O; simulations.services authorizes, saves and audits). Simulations
never count in KPIs: they are records of their own, not incidents."""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from core.models import ReferencedModel, TimeStampedModel
from simulations.choices import SimulationStatus

S = SimulationStatus


class Simulation(FSMModelMixin, ReferencedModel):
    REFERENCE_PREFIX = "SIM"

    scenario = models.CharField(max_length=200)
    scope = models.TextField()
    status = FSMField(default=S.PLANNED, choices=SimulationStatus.choices, protected=True, db_index=True)
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every operation.")
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="simulations", blank=True)
    outcomes = models.TextField(blank=True)
    simulated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @transition(field=status, source=S.PLANNED, target=S.RUNNING)
    def start(self, *, at) -> None:
        self.started_at = at

    @transition(field=status, source=S.RUNNING, target=S.COMPLETED)
    def complete(self, *, outcomes: str, at) -> None:
        self.outcomes = outcomes
        self.completed_at = at


class Inject(TimeStampedModel):
    """One row of the exercise's timeline: what was injected, when (exercise time)."""

    simulation = models.ForeignKey(Simulation, on_delete=models.PROTECT, related_name="injects")
    at = models.DateTimeField()
    description = models.TextField()

    class Meta:
        ordering = ["simulation", "at", "id"]


class FollowUp(TimeStampedModel):
    """A follow-up action the exercise found, with its owner."""

    simulation = models.ForeignKey(Simulation, on_delete=models.PROTECT, related_name="follow_ups")
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["simulation", "id"]

    def __str__(self) -> str:
        return f"follow-up {self.pk} of {self.simulation_id}"


class DrillIncident(models.Model):
    """An incident opened inside a running simulation: flagged ``is_drill`` on the incident."""

    simulation = models.ForeignKey(Simulation, on_delete=models.PROTECT, related_name="drills")
    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, related_name="drill")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["simulation", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} in {self.simulation_id}"
