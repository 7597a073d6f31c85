"""The incident page's knowledge panel (knowledge/_incident_panel.html): its suggested
articles and its forms, for the incident the incidents app renders."""

from django import template

from knowledge import forms
from knowledge.choices import ArticleStatus, ArticleType
from knowledge.selectors import incident_suggestions
from knowledge.views.incidents import kb_update_initial
from operations.form_html import form_html

register = template.Library()


@register.simple_tag
def kb_suggestions(incident, user) -> list:
    """Published articles that may help (one query, at most five)."""
    return incident_suggestions(incident, user)


@register.simple_tag
def kb_incident_forms(incident, links) -> dict:
    """The HTML of the panel's forms the viewer may use."""
    rendered = {}
    if "link_kb" in links:
        rendered["link_kb"] = form_html(forms.LinkKbForm(auto_id="kb_link_%s"))
    if "kb_update" in links:
        rendered["kb_update"] = form_html(
            forms.KbUpdateForm(initial=kb_update_initial(incident), auto_id="kb_update_%s")
        )
    return rendered


_LABELS = {**dict(ArticleStatus.choices), **dict(ArticleType.choices)}


@register.filter
def kb_label(value) -> str:
    """An article's status or type as people read it ("In review"), not its stored code."""
    return _LABELS.get(value, value)
