"""Each person's personal API tokens: make one (shown once), see when each was last used,
revoke one. The API itself lives in the api app; this is its settings page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.forms import ApiTokenForm
from accounts.selectors import api_tokens_of
from accounts.services import api_token_create, api_token_revoke
from pages.http import AuthenticatedHttpRequest

TEMPLATE = "pages/api_tokens.html"


def _page(
    request: AuthenticatedHttpRequest, form: ApiTokenForm, *, new_token: str = ""
) -> HttpResponse:
    context = {
        "form": form,
        "tokens": list(api_tokens_of(request.user)),
        "new_token": new_token,
        "api_root": request.build_absolute_uri(reverse("api-v1:api-root")),
        "docs_url": reverse("api-v1:openapi-view"),
    }
    return render(request, TEMPLATE, context)


def _revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    token_id = request.POST.get("token", "")
    token = api_tokens_of(request.user).filter(pk=token_id).first() if token_id.isdigit() else None
    if token is None:  # someone else's, or none at all
        raise Http404("No such token.")
    if api_token_revoke(token=token):
        messages.success(request, f"Revoked “{token.name}”: it opens nothing any more.")
    return redirect("api-tokens")


@login_required
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's tokens; POST makes one (`action=create`) or revokes one (`action=revoke`)."""
    if request.method != "POST":
        return _page(request, ApiTokenForm())
    if request.POST.get("action") == "revoke":
        return _revoke(request)
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    _, token = api_token_create(
        user=request.user, name=form.cleaned_data["name"], read_only=form.cleaned_data["read_only"]
    )
    # Shown in this answer only: a reload or the back button cannot show it again.
    return _page(request, ApiTokenForm(), new_token=token)
