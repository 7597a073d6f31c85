"""Browser forms: they check shape only; the services check every rule."""

from django import forms

from catalog.models import Service
from changes.choices import ChangeType, LinkRelation, Risk

_text = forms.Textarea(attrs={"rows": 3})
_when = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ChangeRequestForm(forms.Form):
    summary = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    type = forms.ChoiceField(
        choices=ChangeType.choices,
        help_text="Standard: a pre-approved routine change. Normal: assessed by the CAB. "
        "Emergency: needed now; an incident manager may implement it before approval.",
    )
    risk = forms.ChoiceField(choices=Risk.choices)
    window_start = forms.DateTimeField(required=False, widget=_when, label="Window starts")
    window_end = forms.DateTimeField(required=False, widget=_when, label="Window ends")
    rollback_plan = forms.CharField(
        required=False, widget=_text, help_text="How to undo it; required for normal and emergency changes."
    )
    affected_services = forms.MultipleChoiceField(required=False, label="Affected services")
    incident = forms.CharField(
        required=False, max_length=20, label="For incident", help_text="INC-…, if it is requested for one."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affected_services"].choices = [
            (s.reference, f"{s.reference} {s.name}")
            for s in Service.objects.filter(is_active=True).order_by("name")
        ]


class ApproveForm(forms.Form):
    comment = forms.CharField(required=False, widget=_text)


class RejectForm(forms.Form):
    reason = forms.CharField(widget=_text)


class ImplementForm(forms.Form):
    note = forms.CharField(required=False, widget=_text, label="What was done")


class CloseForm(forms.Form):
    success = forms.TypedChoiceField(
        choices=(("true", "Succeeded"), ("false", "Failed")),
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        label="Outcome",
    )
    failure_reason = forms.CharField(required=False, widget=_text, help_text="Required when it failed.")
    note = forms.CharField(required=False, widget=_text)


class LinkChangeForm(forms.Form):
    change = forms.CharField(
        max_length=20, label="Change", widget=forms.TextInput(attrs={"placeholder": "CHG-…"})
    )
    relation = forms.ChoiceField(choices=LinkRelation.choices, initial=LinkRelation.FIXES)
