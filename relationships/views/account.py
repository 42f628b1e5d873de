"""The account page: where an account manager sees the relationship and logs what happened."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import account_for


@login_required
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = account_for(request.user, account_id)
    return render(request, "relationships/account_detail.html", {"account": account})
