from django.urls import path

from relationships.views import account

urlpatterns = [
    path("accounts/<int:account_id>/", account.account_detail, name="account-detail"),
]
