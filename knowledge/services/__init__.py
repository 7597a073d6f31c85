"""The only writers of KB articles (SOP 15), each one operation on the shared path
(operations.path): validate, authorize, check the state, apply, save and audit in one
transaction; any refusal changes nothing."""

from knowledge.services.articles import (
    article_approve,
    article_create,
    article_edit,
    article_reject,
    article_retire,
    article_revise,
    article_submit,
)
from knowledge.services.base import ARTICLES, STATE_RULES, TEXT
from knowledge.services.incidents import INCIDENT_KB, incident_kb_update, incident_link_kb

__all__ = [
    "ARTICLES",
    "INCIDENT_KB",
    "STATE_RULES",
    "TEXT",
    "article_approve",
    "article_create",
    "article_edit",
    "article_reject",
    "article_retire",
    "article_revise",
    "article_submit",
    "incident_kb_update",
    "incident_link_kb",
]
