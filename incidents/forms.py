"""Browser forms: they check shape only; the services check every rule."""

from django import forms

from catalog.models import Service, Vendor
from communications.models import Channel
from incidents.choices import (
    AssignmentTeam,
    Category,
    ContactMethod,
    DetectionSource,
    EscalationTarget,
    Level,
    Priority,
)
from incidents.services.sop import PUBLIC_RECIPIENTS

_text = forms.Textarea(attrs={"rows": 3})


class ReportForm(forms.Form):
    """Standardized intake (seed 003): what happened, where, how bad, since when."""

    affected_service = forms.ChoiceField(label="Affected service")
    category = forms.ChoiceField(choices=Category.choices)
    subcategory = forms.CharField(required=False, max_length=100)
    title = forms.CharField(max_length=200, label="Short summary")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        label="What happened?",
        help_text="What you were doing, what you expected, what you saw (error messages), "
        "who else is affected.",
    )
    impact = forms.ChoiceField(
        choices=Level.choices, widget=forms.RadioSelect, help_text="How much of the business is affected?"
    )
    urgency = forms.ChoiceField(
        choices=Level.choices, widget=forms.RadioSelect, help_text="How soon must it work?"
    )
    is_personal_data_breach = forms.BooleanField(required=False, label="Personal data may be exposed")

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affected_service"].choices = [("", "— choose —")] + [
            (s.reference, s.name) for s in Service.objects.filter(is_active=True).order_by("name")
        ]
        if staff:
            # SPEC.md: the detection source and a past detection time are for staff
            self.fields["detection_source"] = forms.ChoiceField(
                choices=DetectionSource.choices, initial=DetectionSource.USER_REPORT
            )
            self.fields["detected_at"] = forms.DateTimeField(
                required=False,
                label="Noticed at",
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                help_text="Leave empty for now.",
            )
            self.fields["reporter"] = forms.CharField(
                required=False, help_text="Username of the person reporting; empty for yourself."
            )
            self.fields["priority"] = forms.ChoiceField(
                choices=[("", "from impact × urgency")] + list(Priority.choices), required=False
            )
            self.fields["priority_justification"] = forms.CharField(required=False, widget=_text)


class LogForm(forms.Form):
    description = forms.CharField(required=False, widget=_text, label="Add to description")
    diagnosis = forms.CharField(required=False, widget=_text, label="Initial diagnosis")
    workaround = forms.CharField(required=False, widget=_text)


class CategorizeForm(forms.Form):
    category = forms.ChoiceField(choices=Category.choices)
    subcategory = forms.CharField(required=False, max_length=100)


class PrioritizeForm(forms.Form):
    impact = forms.ChoiceField(choices=Level.choices)
    urgency = forms.ChoiceField(choices=Level.choices)
    priority = forms.ChoiceField(
        choices=[("", "from impact × urgency")] + list(Priority.choices), required=False
    )
    justification = forms.CharField(widget=_text)


class AssignForm(forms.Form):
    team = forms.ChoiceField(choices=AssignmentTeam.choices)
    assignee = forms.CharField(required=False, help_text="Username of a team member (optional).")


class DiagnoseForm(forms.Form):
    steps = forms.CharField(widget=_text, label="Diagnostic steps")
    workaround = forms.CharField(required=False, widget=_text)


class EscalateForm(forms.Form):
    target = forms.ChoiceField(choices=EscalationTarget.choices)
    reason = forms.CharField(widget=_text)


class EngageVendorForm(forms.Form):
    vendor = forms.ChoiceField()
    contact_method = forms.ChoiceField(choices=ContactMethod.choices)
    vendor_reference = forms.CharField(required=False, max_length=100, label="Vendor ticket")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].choices = [
            (v.reference, v.name) for v in Vendor.objects.filter(is_active=True).order_by("name")
        ]


class NoteForm(forms.Form):
    note = forms.CharField(required=False, widget=_text)


class ResolveForm(forms.Form):
    resolution_summary = forms.CharField(widget=_text)
    service_restored = forms.BooleanField(
        required=False, label="Service is restored", help_text="Required to resolve."
    )


class CommunicateForm(forms.Form):
    recipients = forms.MultipleChoiceField(
        choices=[(str(r), r.label) for r in PUBLIC_RECIPIENTS], widget=forms.CheckboxSelectMultiple
    )
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.IMS)


class CommentForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=_text)


class CloseForm(forms.Form):
    closure_notes = forms.CharField(widget=_text)


class MajorRolesForm(forms.Form):
    incident_commander = forms.CharField(required=False)
    communications_lead = forms.CharField(required=False)
    technical_lead = forms.CharField(required=False)
