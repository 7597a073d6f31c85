"""The incident page's "record tool usage" form: shape only, the service checks the rules."""

from django import forms

from tooling.choices import Outcome, Tool


class ToolUsageForm(forms.Form):
    tool = forms.ChoiceField(choices=Tool.choices)
    action_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What was done", max_length=4000
    )
    outcome = forms.ChoiceField(choices=Outcome.choices)
