"""Browser forms for problems: they check shape only; the services check every rule."""

import re

from django import forms

from accounts.models import Team
from catalog.models import Service

_text = forms.Textarea(attrs={"rows": 3})


def _services():
    return [("", "— choose —")] + [
        (s.reference, f"{s.name} ({s.reference})")
        for s in Service.objects.filter(is_active=True).order_by("name")
    ]


def _teams():
    return [("", "— none —")] + [(t.code, t.name) for t in Team.objects.order_by("code")]


class ProblemCreateForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    affected_service = forms.ChoiceField(label="Affected service", required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    symptom = forms.CharField(widget=_text, required=False, help_text="What the people affected see.")
    incidents = forms.CharField(
        required=False,
        label="Linked incidents",
        help_text="INC-… references, separated by spaces or commas.",
    )
    owner_team = forms.ChoiceField(label="Owner team", required=False)
    assignee = forms.CharField(required=False, help_text="Username; empty for nobody yet.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affected_service"].choices = _services()
        self.fields["owner_team"].choices = _teams()

    def clean_incidents(self) -> list[str]:
        return [ref for ref in re.split(r"[\s,;]+", self.cleaned_data["incidents"]) if ref]


class ProblemUpdateForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    affected_service = forms.ChoiceField(label="Affected service", required=False)
    description = forms.CharField(widget=_text, required=False)
    symptom = forms.CharField(widget=_text, required=False)
    root_cause = forms.CharField(widget=_text, required=False, label="Root cause")
    owner_team = forms.ChoiceField(label="Owner team", required=False)
    assignee = forms.CharField(required=False, help_text="Username; empty for nobody.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affected_service"].choices = _services()
        self.fields["owner_team"].choices = _teams()


class StartInvestigationForm(forms.Form):
    note = forms.CharField(
        widget=_text, required=False, help_text="Reopening a resolved problem: why the fix did not hold."
    )


class RecordWorkaroundForm(forms.Form):
    symptom = forms.CharField(widget=_text, required=False)
    root_cause = forms.CharField(widget=_text, required=False, label="Root cause")
    workaround = forms.CharField(widget=_text, required=False)


class LinkIncidentForm(forms.Form):
    incident = forms.CharField(required=False, max_length=20, help_text="INC-…")


class LinkProblemForm(forms.Form):
    problem = forms.CharField(required=False, max_length=20, label="Problem", help_text="PRB-…")


class ResolveForm(forms.Form):
    fix_summary = forms.CharField(widget=_text, required=False, label="Fix summary")
    validation_evidence = forms.CharField(
        widget=_text, required=False, label="Validation evidence", help_text="How you know the fix works."
    )


class CloseForm(forms.Form):
    closure_notes = forms.CharField(widget=_text, required=False, label="Closure notes")
