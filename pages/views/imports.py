"""Importing and exporting the portfolio as a CSV bundle, for sales leads and scoring admins."""

from __future__ import annotations

import io
import zipfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, TooManyFilesSent
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from accounts.roles import SALES_LEAD, SCORING_ADMIN, require_role
from config.db_router import replica_reads_view
from pages.http import AuthenticatedHttpRequest
from relationships.csv_bundle.exporter import portfolio_export
from relationships.csv_bundle.forms import BundleUploadForm
from scoring.use_cases import portfolio_import


def _require_bundle_role(request: AuthenticatedHttpRequest) -> None:
    require_role(
        request.user,
        SALES_LEAD,
        SCORING_ADMIN,
        message="Only sales leads and scoring admins import and export.",
    )


# The CSRF check reads the body (the token is a form field), so on its usual place, in the
# middleware, it would read an upload of up to 32 MB before the sign-in and role checks. Here it
# runs after them, as Django's documentation does it for upload handlers:
# https://docs.djangoproject.com/en/5.2/topics/http/file-uploads/#modifying-upload-handlers-on-the-fly
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def portfolio_import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        _require_bundle_role(request)
    except PermissionDenied:
        # Django's 403 page checks the CSRF token too (to offer one), which would read the
        # body it refuses; there is nothing left to protect.
        # The flag Django's CSRF middleware reads; HttpRequest does not declare it.
        request.csrf_processing_done = True  # type: ignore[attr-defined]
        raise
    _refuse_extra_files(request)
    return _import_page(request)


# The bundle's four files; a request carrying more is not an import (400, as Django answers
# more files than DATA_UPLOAD_MAX_NUMBER_FILES).
BUNDLE_FILES = 4


def _refuse_extra_files(request: AuthenticatedHttpRequest) -> None:
    if request.method == "POST" and sum(len(f) for _, f in request.FILES.lists()) > BUNDLE_FILES:
        request.csrf_processing_done = True  # type: ignore[attr-defined]
        raise TooManyFilesSent(f"The import takes {BUNDLE_FILES} files at most.")


@csrf_protect
def _import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    report = None
    if request.method == "POST":
        form = BundleUploadForm(request.POST, request.FILES)
        if form.is_valid():
            # One process: forking a web worker to score in parallel is not worth the risk.
            report = portfolio_import(
                files=form.files_by_name(),
                dry_run=form.cleaned_data["dry_run"],
                actor=request.user,
                workers=1,
            )
    else:
        form = BundleUploadForm()
    return render(request, "pages/import.html", {"form": form, "report": report})


@login_required
@replica_reads_view
def portfolio_export_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The bundle as one zip file."""
    _require_bundle_role(request)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in portfolio_export().items():
            archive.writestr(name, text.encode("utf-8"))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="portfolio-{stamp}.zip"'
    return response
