from django.urls import path

from reviews import views

urlpatterns = [
    path("reviews/", views.review_list, name="review-list"),
    path("reviews/new/", views.review_new, name="review-new"),
    path("reviews/mine/", views.my_items, name="review-my-items"),
    path("reviews/overdue/", views.overdue_items, name="review-overdue"),
    path("reviews/<str:reference>/", views.review_detail, name="review-page"),
    path("reviews/<str:reference>/act/<str:operation>/", views.review_act, name="review-act"),
    path(
        "reviews/<str:reference>/items/<int:number>/<str:operation>/", views.item_act, name="review-item-act"
    ),
]
