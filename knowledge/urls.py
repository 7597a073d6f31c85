from django.urls import path

from knowledge.views import articles, editor, incidents

urlpatterns = [
    path("kb/", articles.kb_list, name="kb-list"),
    path("kb/new/", editor.kb_new, name="kb-new"),
    path("kb/review/", articles.kb_review, name="kb-review"),
    path("kb/<str:reference>/", articles.kb_detail, name="kb-page"),
    path("kb/<str:reference>/edit/", editor.kb_edit, name="kb-edit"),
    path("kb/<str:reference>/act/<str:operation>/", editor.kb_act, name="kb-act"),
    path("kb/<str:reference>/versions/<int:number>/", articles.kb_version, name="kb-version"),
    path("kb/<str:reference>/diff/", articles.kb_diff, name="kb-diff"),
    path("incidents/<str:reference>/link-kb/", incidents.incident_link_kb, name="incident-kb-link"),
    path(
        "incidents/<str:reference>/kb-update/", incidents.incident_kb_update, name="incident-kb-update-page"
    ),
]
