from django.urls import path

from scoring.tuning import views

urlpatterns = [
    path("tuning/", views.tuning, name="tuning"),
    path("tuning/drafts/new/", views.draft_new, name="profile-draft-new"),
    path("tuning/versions/<int:version>/", views.draft_edit, name="profile-draft"),
]
