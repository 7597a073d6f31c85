from django.urls import path

from problems import views

urlpatterns = [
    path("problems/", views.problem_list, name="problems"),
    path("problems/new/", views.problem_new, name="problem-new"),
    path("problems/<str:reference>/", views.problem_detail, name="problem-page"),
    path("problems/<str:reference>/act/<str:operation>/", views.problem_act, name="problem-act"),
    path(
        "incidents/<str:reference>/link-problem/", views.incident_link_problem, name="incident-link-problem"
    ),
]
