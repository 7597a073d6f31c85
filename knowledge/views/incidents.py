"""The KB actions of the incident page (its knowledge panel): link an article, write up a
closed incident. Success goes back to the incident; a refusal is shown beside its form on
a page of its own, since the incident page belongs to the incidents app."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, ErrorCode
from incidents.selectors import incident_detail_queryset
from knowledge import forms, services
from operations.pages import posted_version

OPERATIONS = {
    "link_kb": ("Link a KB article", forms.LinkKbForm, services.incident_link_kb),
    "kb_update": ("Write up in the knowledge base", forms.KbUpdateForm, services.incident_kb_update),
}


def _incident(request, reference: str):
    incident = incident_detail_queryset(request.user).filter(reference=reference).first()
    if incident is None:
        raise Http404(f"Incident {reference} was not found.")
    return incident


def kb_update_initial(incident) -> dict:
    return {"title": incident.title, "type": "resolution", "body": incident.resolution_summary}


def _act(request, reference: str, operation: str):
    label, form_class, service = OPERATIONS[operation]
    incident = _incident(request, reference)
    initial = kb_update_initial(incident) if operation == "kb_update" else None
    form = form_class(request.POST or None, initial=initial)
    error = None
    if request.method == "POST":
        if not form.is_valid():
            error = DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)
        else:
            values = dict(form.cleaned_data)
            if operation == "kb_update" and not values.get("article"):
                values["article"] = None
            try:
                result = service(
                    incident=reference, actor=request.user, expected_version=posted_version(request), **values
                )
            except DomainError as refusal:
                if refusal.code == ErrorCode.NOT_FOUND:
                    raise Http404(refusal.message) from refusal
                error = refusal
            else:
                if operation == "kb_update":
                    article = result[1]
                    messages.success(
                        request, f"{reference}: written up as {article.reference} ({article.status})."
                    )
                else:
                    messages.success(request, f"{reference}: {values['article']} linked.")
                return redirect("incident-page", reference=reference)
    context = {"incident": incident, "op": operation, "label": label, "form": form, "error": error}
    return render(request, "knowledge/incident_act.html", context, status=error.http_status if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def incident_link_kb(request, reference: str):
    return _act(request, reference, "link_kb")


@login_required
@require_http_methods(["GET", "POST"])
def incident_kb_update(request, reference: str):
    return _act(request, reference, "kb_update")
