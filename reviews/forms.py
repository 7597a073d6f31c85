"""The browser's forms: they check shape; reviews.services checks every rule."""

from django import forms

TEXTAREA = forms.Textarea(attrs={"rows": 4})


def references(value: str) -> list[str]:
    """``"KB-000001, KB-000002"`` (commas, spaces or lines) → the references, upper-cased."""
    return [part.strip().upper() for part in value.replace(",", " ").split() if part.strip()]


class ReviewTextForm(forms.Form):
    timeline = forms.CharField(widget=TEXTAREA, help_text="What happened when, from detection to recovery.")
    contributing_factors = forms.CharField(widget=TEXTAREA, help_text="Conditions that allowed it; no blame.")
    root_cause = forms.CharField(widget=TEXTAREA)
    lessons = forms.CharField(widget=TEXTAREA, required=False, help_text="Needed to complete the review.")
    kb_articles = forms.CharField(
        required=False, label="KB articles", help_text="References, e.g. KB-000012, KB-000015."
    )


class ReviewCreateForm(ReviewTextForm):
    incident = forms.CharField(max_length=20, widget=forms.HiddenInput)


class ReviewEditForm(ReviewTextForm):
    pass


class CompleteForm(forms.Form):
    pass


class ActionItemForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2_000)
    owner = forms.CharField(required=False, max_length=150, help_text="Username of a member of staff.")
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ActionItemEditForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2_000, required=False)
    owner = forms.CharField(required=False, max_length=150)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ItemStatusForm(forms.Form):
    pass
