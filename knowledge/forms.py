"""Browser forms of the knowledge base: they check shape only; the services check every
rule (and the texts are kept as typed, so a refusal's line numbers are the writer's own)."""

from django import forms

from knowledge.choices import ArticleType

_reason = forms.Textarea(attrs={"rows": 3})


def _title():
    return forms.CharField(max_length=200, strip=False)


def _body(rows: int = 14):
    return forms.CharField(
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text="Structured, concise, actionable. No passwords, keys, tokens or card numbers.",
    )


class ArticleForm(forms.Form):
    """The editor of a working copy."""

    title = _title()
    type = forms.ChoiceField(choices=ArticleType.choices)
    body = _body()


class ArticleNewForm(ArticleForm):
    incidents = forms.CharField(
        required=False, help_text="Incidents it comes from or helps with: INC-… references, comma separated."
    )
    submit = forms.BooleanField(required=False, label="Submit for review now")

    def clean_incidents(self) -> list[str]:
        text = self.cleaned_data["incidents"].replace(",", " ")
        return [reference.strip().upper() for reference in text.split() if reference.strip()]


class ConfirmForm(forms.Form):
    """An operation that takes nothing but the version (submit, revise)."""


class ApproveForm(forms.Form):
    comment = forms.CharField(required=False, widget=_reason, help_text="Optional, for the author.")


class RejectForm(forms.Form):
    reason = forms.CharField(widget=_reason, help_text="What the author should change.")


class RetireForm(forms.Form):
    reason = forms.CharField(required=False, widget=_reason)


class LinkKbForm(forms.Form):
    article = forms.CharField(max_length=20, label="Article", help_text="KB-… reference.")


class KbUpdateForm(forms.Form):
    """SOP 15 from a closed incident: a new article, or a revision of the one named."""

    title = _title()
    type = forms.ChoiceField(choices=ArticleType.choices)
    body = _body(rows=8)
    article = forms.CharField(
        required=False, max_length=20, help_text="KB-… to revise an existing article; empty for a new one."
    )
    submit = forms.BooleanField(required=False, label="Submit for review now")
