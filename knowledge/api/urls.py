"""The incident's KB actions (API.md), routed beside the router's incident routes."""

from django.urls import path

from knowledge.api.views import IncidentKbViewSet

incident_kb_paths = [
    path(
        "incidents/<str:id>/link-kb/",
        IncidentKbViewSet.as_view({"post": "link_kb"}),
        name="incident-link-kb",
    ),
    path(
        "incidents/<str:id>/kb-update/",
        IncidentKbViewSet.as_view({"post": "kb_update"}),
        name="incident-kb-update",
    ),
]
