from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from accounts.forms import SignInForm
from api.v1.api import api as api_v1


@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and container health checks: the app answers. Public, and
    it touches no data."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", include("pages.urls")),
    path("login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    # The JSON API for other tools, with personal tokens (README, API).
    path("api/v1/", api_v1.urls),
    path("healthz", healthz, name="healthz"),
]
