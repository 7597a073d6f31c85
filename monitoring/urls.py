from django.urls import path

from monitoring import views

urlpatterns = [
    path("events/", views.event_list, name="monitoring-events"),
    path("events/<str:reference>/", views.event_detail, name="monitoring-event"),
]
