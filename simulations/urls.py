from django.urls import path

from simulations import views

urlpatterns = [
    path("simulations/", views.simulation_list, name="simulations"),
    path("simulations/new/", views.simulation_new, name="simulation-new"),
    path("simulations/<str:reference>/", views.simulation_detail, name="simulation-page"),
    path("simulations/<str:reference>/act/<str:operation>/", views.simulation_act, name="simulation-act"),
]
