"""The article page's operations: each a form (shape) and the service it calls (rules)."""

from knowledge import forms, services
from operations.pages import PageAction

ACTIONS: dict[str, PageAction] = {
    "submit": PageAction("Submit for review", forms.ConfirmForm, services.article_submit, "primary"),
    "approve": PageAction("Approve and publish", forms.ApproveForm, services.article_approve, "primary"),
    "reject": PageAction("Reject", forms.RejectForm, services.article_reject, "warn"),
    "revise": PageAction("Revise", forms.ConfirmForm, services.article_revise),
    "retire": PageAction("Retire", forms.RetireForm, services.article_retire, "warn"),
}
