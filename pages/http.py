"""The request the pages receive, as the type checker should see it.

Every view here is behind `login_required`, so `request.user` is a signed-in `User`, never the
anonymous one; and django-htmx's middleware adds `request.htmx` (what htmx asked, if anything).
"""

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
