from django.urls import path

from monitoring import views

urlpatterns = [
    path("events/", views.event_list, name="event-list"),
    path("events/<str:reference>/", views.event_detail, name="event-page"),
]
