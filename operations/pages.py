"""The browser pages of a governed entity: the detail page's action panels (exactly the
operations the viewer may take, from ``Governed.allowed_actions``) and the POST of one of
them, which calls the same service as the API and shows a refusal beside its form."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect

from core.errors import DomainError, ErrorCode
from operations.form_html import form_html
from operations.path import Governed


@dataclass(frozen=True)
class PageAction:
    label: str
    form: type
    service: Callable
    style: str = ""
    initial: Callable | None = None  # obj -> the form's initial values


def panel_ids(operation: str) -> str:
    """Each panel's fields get ids of their own (``assign-id_team``): two panels on one page
    may have fields of the same name, and a label must point at its own field."""
    return f"{operation}-id_%s"


def posted_version(request) -> int | None:
    try:
        return int(request.POST["version"]) if request.POST.get("version") else None
    except ValueError:
        return None


def action_panels(request, obj, governed: Governed, actions: dict[str, PageAction], url: Callable,
                  *, error_op: str | None = None, bound=None) -> list[dict]:  # fmt: skip
    """One panel per operation the viewer may take and the page has a form for; a refused
    form stays on screen, bound, with its message. ``url(op)``: where its form posts."""
    operations = [op for op in governed.allowed_actions(request.user, obj) if op in actions]
    if error_op and error_op not in operations and error_op in actions:
        operations.append(error_op)
    panels = []
    for op in operations:
        action = actions[op]
        if op == error_op and bound is not None:
            form = bound
        else:
            form = action.form(initial=action.initial(obj) if action.initial else None, auto_id=panel_ids(op))
        panels.append(
            {"op": op, "action": action, "form": form_html(form), "open": op == error_op, "url": url(op)}
        )
    return panels


def page_act(request, *, obj, operation: str, actions: dict[str, PageAction], subject: str,
             rerender: Callable, success_url: str, values: Callable | None = None):  # fmt: skip
    """POST of one operation from the browser: the form checks shape, the service checks
    every rule. ``rerender(error=, error_op=, bound=)`` shows the page again with a refusal;
    ``values(cleaned_data)`` adapts the form's values to the service's keywords."""
    if operation not in actions:
        raise Http404(f"No operation {operation}.")
    action = actions[operation]
    form = action.form(request.POST, auto_id=panel_ids(operation))
    if not form.is_valid():
        error = DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)
        return rerender(error=error, error_op=operation, bound=form)
    cleaned = {k: v for k, v in form.cleaned_data.items()}
    cleaned = values(cleaned) if values else cleaned
    try:
        action.service(
            **{subject: obj.reference},
            actor=request.user,
            expected_version=posted_version(request),
            **cleaned,
        )
    except DomainError as error:
        if error.code == ErrorCode.NOT_FOUND:
            raise Http404(error.message) from error
        return rerender(error=error, error_op=operation, bound=form)
    messages.success(request, f"{obj.reference}: {action.label.lower()} done.")
    return redirect(success_url)
