from django.urls import path

from scoring.tuning import views

urlpatterns = [
    path("tuning/", views.tuning, name="tuning"),
    path("tuning/drafts/new/", views.draft_new, name="profile-draft-new"),
    path("tuning/versions/<int:version>/", views.draft_edit, name="profile-draft"),
    path("tuning/versions/<int:version>/preview/", views.draft_preview, name="profile-preview"),
    path("tuning/versions/<int:version>/live/", views.profile_go_live, name="profile-go-live"),
    path("tuning/rollout/", views.rollout_progress, name="rollout-progress"),
    path("tuning/versions/<int:version>/backtest/", views.backtest, name="profile-backtest"),
]
