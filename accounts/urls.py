from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/<int:account_id>/owner/", views.account_owner, name="account-owner"),
    path("accounts/<int:account_id>/sharing/", views.account_sharing, name="account-sharing"),
    path("accounts/<int:account_id>/reopen/", views.account_reopen, name="account-reopen"),
]
