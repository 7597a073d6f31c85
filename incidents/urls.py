from django.urls import path

from incidents import views

urlpatterns = [
    path("incidents/", views.workspace, name="workspace"),
    path("incidents/new/", views.incident_report, name="incident-report"),
    path("incidents/duplicates/", views.incident_duplicates, name="incident-duplicates"),
    path("incidents/<str:reference>/", views.incident_detail, name="incident-page"),
    path("incidents/<str:reference>/act/<str:operation>/", views.incident_act, name="incident-act"),
    path("my/", views.my_incidents, name="my-incidents"),
]
