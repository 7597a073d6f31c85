from django.urls import path

from changes import views

urlpatterns = [
    path("changes/", views.change_list, name="changes"),
    path("changes/cab/", views.change_cab, name="change-cab"),
    path("changes/new/", views.change_new, name="change-new"),
    path("changes/<str:reference>/", views.change_detail, name="change-page"),
    path("changes/<str:reference>/act/<str:operation>/", views.change_act, name="change-act"),
    path("incidents/<str:reference>/link-change/", views.incident_link_change, name="incident-link-change"),
]
