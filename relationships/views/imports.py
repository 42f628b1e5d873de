"""Importing and exporting the portfolio as a CSV bundle, for sales leads and scoring admins."""

from __future__ import annotations

import io
import zipfile

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.roles import SALES_LEAD, SCORING_ADMIN, require_role
from relationships.csv_bundle.exporter import portfolio_export
from relationships.csv_bundle.forms import BundleUploadForm
from relationships.csv_bundle.importer import portfolio_import


def _require_bundle_role(request: HttpRequest) -> None:
    require_role(
        request.user,
        SALES_LEAD,
        SCORING_ADMIN,
        message="Only sales leads and scoring admins import and export.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def portfolio_import_page(request: HttpRequest) -> HttpResponse:
    _require_bundle_role(request)
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
    return render(request, "relationships/import.html", {"form": form, "report": report})


@login_required
def portfolio_export_download(request: HttpRequest) -> HttpResponse:
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
