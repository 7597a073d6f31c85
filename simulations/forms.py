"""Simulation forms: shape only, the services check every rule."""

from django import forms

from incidents.choices import Category, Level

_text = forms.Textarea(attrs={"rows": 3})


class SimulationForm(forms.Form):
    scenario = forms.CharField(required=False, max_length=200)
    scope = forms.CharField(widget=_text, required=False)
    participants = forms.CharField(required=False, help_text="Usernames, separated by commas or spaces.")
    outcome = forms.CharField(widget=_text, required=False, label="Expected outcome")


class StartForm(forms.Form):
    pass


class InjectForm(forms.Form):
    at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="At")
    description = forms.CharField(widget=_text, required=False)


class CompleteForm(forms.Form):
    outcomes = forms.CharField(widget=_text, required=False)


class FollowUpForm(forms.Form):
    description = forms.CharField(widget=_text, required=False)
    owner = forms.CharField(required=False, max_length=150, help_text="Username")


class DrillIncidentForm(forms.Form):
    title = forms.CharField(required=False, max_length=200)
    description = forms.CharField(widget=_text, required=False)
    category = forms.ChoiceField(choices=Category.choices, initial=Category.OTHER)
    impact = forms.ChoiceField(choices=Level.choices)
    urgency = forms.ChoiceField(choices=Level.choices)
    affected_service = forms.CharField(max_length=20, help_text="SVC-…")
