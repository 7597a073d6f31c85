from django.urls import path

from tooling import views

urlpatterns = [
    path("tool-usages/", views.tool_usage_list, name="tool-usages"),
    path(
        "incidents/<str:reference>/tool-usages/new/",
        views.incident_record_tool_usage,
        name="incident-record-tool-usage",
    ),
]
