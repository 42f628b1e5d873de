from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import sees_whole_portfolio
from accounts.selectors import account_list_for

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(account_list_for(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "whole_portfolio": sees_whole_portfolio(request.user)}
    return render(request, "accounts/home.html", context)
