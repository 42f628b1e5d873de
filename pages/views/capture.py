"""Capture: the review list of meetings and messages found in calendars and mail, and the
sources they come from (uploads and CalDAV calendars).

Everything a manager sees here is their own: another person's item or source answers 404.
Items are matched only to accounts the manager may write to, and confirming one checks that
again (the account may have changed hands since), then logs it as an interaction through the
same use case as the log form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFilesSent
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.access import accounts_editable_by
from accounts.models import Account, AccountStatus
from pages.http import AuthenticatedHttpRequest
from relationships import selectors as evidence
from relationships.capture import selectors, services
from relationships.capture.credentials import CredentialsUnavailable
from relationships.capture.forms import (
    MAX_MAIL_FILES,
    AssignForm,
    CalDAVSourceForm,
    CalendarUploadForm,
    ConfirmForm,
    MailUploadForm,
)
from relationships.capture.models import CapturedItem, CaptureSource, ItemStatus, SourceKind
from relationships.capture.parsing import MAX_FOUND, MAX_OCCURRENCES_PER_EVENT, CaptureFileError
from reminders.worker import capture_source_sync
from scoring import use_cases

REVIEW = "pages/capture.html"
SOURCES = "pages/capture_sources.html"
CONFIRM = "pages/capture_confirm.html"
CHANGE = "pages/capture_source_change.html"
CAPTURE_CHANGED = "captureChanged"
# The review list shows this many of each kind; the rest wait their turn (the count says so).
SHOWN = 50


def _item_for(request: AuthenticatedHttpRequest, item_id: int) -> CapturedItem:
    item = selectors.item_of(owner=request.user, item_id=item_id)
    if item is None:
        raise Http404("No such item.")
    return item


def _source_for(request: AuthenticatedHttpRequest, source_id: int) -> CaptureSource:
    source = CaptureSource.objects.filter(owner=request.user, pk=source_id).first()
    if source is None:
        raise Http404("No such source.")
    return source


def _assignable(request: AuthenticatedHttpRequest):
    return accounts_editable_by(request.user).filter(status=AccountStatus.ACTIVE)


# The review page's headings that re-fetch themselves after a confirm, discard or
# assignment in place (the captureChanged event).
COUNT_PANELS = ("matched-heading", "unmatched-heading")


def _counts(request: AuthenticatedHttpRequest) -> dict[str, int]:
    waiting = selectors.items_to_review(owner=request.user)
    mine = selectors.on_their_accounts(request.user)
    return {
        "matched_count": waiting.filter(mine).count(),
        "unmatched_count": waiting.exclude(mine).count(),
    }


@login_required
def capture_review(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The meetings and messages waiting for the manager: matched ones to confirm with one
    click (or with signals), unmatched ones (or on an account no longer theirs) to assign
    to an account or discard."""
    panel = request.GET.get("panel", "")
    if request.htmx and panel:
        if panel not in COUNT_PANELS:
            raise Http404("No such panel.")
        return render(request, f"{REVIEW}#{panel}", _counts(request))
    waiting = selectors.items_to_review(owner=request.user)
    mine = selectors.on_their_accounts(request.user)
    matched = list(waiting.filter(mine)[:SHOWN])
    unmatched = list(waiting.exclude(mine)[:SHOWN])
    matched_count = len(matched) if len(matched) < SHOWN else waiting.filter(mine).count()
    unmatched_count = len(unmatched) if len(unmatched) < SHOWN else waiting.exclude(mine).count()
    context = {
        "matched": matched,
        "unmatched": unmatched,
        "matched_count": matched_count,
        "unmatched_count": unmatched_count,
        "assignable": list(_assignable(request).order_by("name").only("pk", "name"))
        if unmatched
        else [],
    }
    return render(request, REVIEW, context)


def _sources_page(request: AuthenticatedHttpRequest, **forms) -> HttpResponse:
    sources = CaptureSource.objects.filter(owner=request.user)
    context = {
        "calendars": list(sources.filter(kind=SourceKind.CALDAV).order_by("name", "pk")),
        "uploads": list(sources.exclude(kind=SourceKind.CALDAV).order_by("-created_at")[:10]),
        "calendar_form": forms.get("calendar_form") or CalendarUploadForm(),
        "mail_form": forms.get("mail_form") or MailUploadForm(),
        "caldav_form": forms.get("caldav_form") or CalDAVSourceForm(),
    }
    return render(request, SOURCES, context)


@login_required
def capture_sources(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _sources_page(request)


def _read_outcome(source: CaptureSource) -> str:
    what = "meeting" if source.kind == SourceKind.CALENDAR_FILE else "message"
    found = f"{source.found} {what}{'s' if source.found != 1 else ''}"
    text = f"Read {found} from {source.name}: {source.matched} matched to your accounts"
    if source.skipped_private:
        text += f", {source.skipped_private} private skipped"
    if source.skipped_unreadable:
        text += f", {source.skipped_unreadable} unreadable skipped (no date)"
    text += "."
    if source.capped_series:
        events = "event" if source.capped_series == 1 else "events"
        its = "its" if source.capped_series == 1 else "their"
        text += (
            f" {source.capped_series} repeating {events} cut at {its} first "
            f"{MAX_OCCURRENCES_PER_EVENT} occurrences."
        )
    if source.left_out:
        text += (
            f" {source.left_out} more left out: a file brings at most {MAX_FOUND:,} at a "
            "time, the most recent ones."
        )
    return text


# Uploads are read only after the sign-in check: the CSRF check, which reads the body, runs
# inside the view (as on the import page, pages/views/imports.py).
@csrf_exempt
@login_required
@require_POST
def capture_calendar_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _calendar_upload(request)


@csrf_protect
def _calendar_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CalendarUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["calendar"]
        try:
            source = services.capture_calendar_upload(
                owner=request.user, name=upload.name or "calendar.ics", data=upload.read()
            )
        except CaptureFileError as unreadable:
            form.add_error("calendar", str(unreadable))
        else:
            messages.success(request, _read_outcome(source))
            return redirect("capture-review")
    return _sources_page(request, calendar_form=form)


@csrf_exempt
@login_required
@require_POST
def capture_mail_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        request.FILES  # noqa: B018  (reads the body: more files than allowed stops here)
    except TooManyFilesSent:
        # Nothing is read or written: the answer is the form with the reason by its field.
        request.csrf_processing_done = True  # type: ignore[attr-defined]
        form = MailUploadForm(MultiValueDict(), MultiValueDict())
        form.errors["messages"] = form.error_class(
            [f"That is more than {MAX_MAIL_FILES} files: export the folder as one .mbox file."]
        )
        return _sources_page(request, mail_form=form)
    return _mail_upload(request)


@csrf_protect
def _mail_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = MailUploadForm(request.POST, request.FILES)
    if form.is_valid():
        files = [
            (upload.name or "message.eml", upload.read())
            for upload in form.cleaned_data["messages"]
        ]
        try:
            source = services.capture_mail_upload(owner=request.user, files=files)
        except CaptureFileError as unreadable:
            form.add_error("messages", str(unreadable))
        else:
            messages.success(request, _read_outcome(source))
            return redirect("capture-review")
    return _sources_page(request, mail_form=form)


@login_required
@require_POST
def capture_caldav_connect(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CalDAVSourceForm(request.POST)
    if form.is_valid():
        try:
            source = services.caldav_source_connect(owner=request.user, **form.cleaned_data)
        except CredentialsUnavailable as no_key:
            form.add_error("password", str(no_key))
        else:
            CaptureSource.objects.filter(pk=source.pk).update(queued_at=timezone.now())
            capture_source_sync.enqueue(source.pk)
            messages.success(
                request,
                f"Connected {source.name}: the first sync is queued for the background worker.",
            )
            return redirect("capture-sources")
    return _sources_page(request, caldav_form=form)


@login_required
@require_POST
def capture_source_sync_now(request: AuthenticatedHttpRequest, source_id: int) -> HttpResponse:
    source = _source_for(request, source_id)
    if source.kind != SourceKind.CALDAV:
        raise Http404("Only a connected calendar syncs.")
    CaptureSource.objects.filter(pk=source.pk).update(queued_at=timezone.now())
    capture_source_sync.enqueue(source.pk)
    messages.success(
        request, f"Sync of {source.name} queued: reload this page in a minute to see it."
    )
    return redirect("capture-sources")


@login_required
@require_http_methods(["GET", "POST"])
def capture_source_change(request: AuthenticatedHttpRequest, source_id: int) -> HttpResponse:
    """A connected calendar's address, user name and password entered again (the password
    is never shown), keeping what it has waiting for review; a sync is queued."""
    source = _source_for(request, source_id)
    if source.kind != SourceKind.CALDAV:
        raise Http404("Only a connected calendar has a password.")
    initial = {"url": source.url, "username": source.username}
    form = CalDAVSourceForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.caldav_source_change(source=source, **form.cleaned_data)
        except CredentialsUnavailable as no_key:
            form.add_error("password", str(no_key))
        else:
            CaptureSource.objects.filter(pk=source.pk).update(queued_at=timezone.now())
            capture_source_sync.enqueue(source.pk)
            messages.success(request, f"Changed {source.name}: a sync is queued.")
            return redirect("capture-sources")
    return render(request, CHANGE, {"source": source, "form": form})


@login_required
@require_POST
def capture_source_remove(request: AuthenticatedHttpRequest, source_id: int) -> HttpResponse:
    source = _source_for(request, source_id)
    services.capture_source_remove(source=source)
    messages.success(request, f"Removed {source.name} and what it had waiting for review.")
    return redirect("capture-sources")


def _item_done(request: AuthenticatedHttpRequest, item: CapturedItem, note: str) -> HttpResponse:
    if not request.htmx:
        messages.success(request, note)
        return redirect("capture-review")
    response = render(request, f"{REVIEW}#item-done", {"item": item, "note": note})
    # The headings' counts re-fetch themselves (capture.html).
    return trigger_client_event(response, CAPTURE_CHANGED)


def _refused(request: AuthenticatedHttpRequest, item: CapturedItem, reason: str) -> HttpResponse:
    if not request.htmx:
        messages.error(request, reason)
        return redirect("capture-review")
    return render(request, f"{REVIEW}#item-done", {"item": item, "note": reason, "refused": True})


def _confirmed(
    request: AuthenticatedHttpRequest, item: CapturedItem, account: Account, form: ConfirmForm
) -> HttpResponse:
    try:
        interaction, change = use_cases.captured_item_confirm(
            item=item,
            actor=request.user,
            seen_account_id=form.cleaned_data["account"],
            signal_types=list(form.cleaned_data["signals"]),
        )
    except services.CaptureUnavailable as unavailable:
        return _refused(request, item, str(unavailable))
    what = interaction.get_kind_display().lower()
    return _item_done(
        request,
        item,
        f"Logged the {what} of {interaction.occurred_on:%-d %b} on {account.name} — "
        f"{change.summary}.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def capture_item_confirm(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    """GET: the item with the log form's signal chips; POST: confirm it (with the signals
    ticked, if any: the review list's one-click button sends none), on the account the page
    showed."""
    item = _item_for(request, item_id)
    if item.status != ItemStatus.PENDING:
        if request.method == "POST":
            return _refused(request, item, "This item was already confirmed or discarded.")
        return render(request, CONFIRM, {"item": item})
    # Only an active account the manager may write to (it may have changed hands since).
    account = _assignable(request).filter(pk=item.account_id).first()
    if account is None:
        return _refused(request, item, "Put it on one of your active accounts first.")
    form = ConfirmForm(
        request.POST if request.method == "POST" else None,
        initial={"account": account.pk},
        signal_types=evidence.signal_types_for_form(),
    )
    if request.method == "POST":
        if form.is_valid():
            return _confirmed(request, item, account, form)
        if "account" in form.errors:  # a page from before the account was sent
            return _refused(request, item, "Reload the page and confirm it again.")
    return render(request, CONFIRM, {"item": item, "account": account, "form": form})


@login_required
@require_POST
def capture_item_discard(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    item = _item_for(request, item_id)
    try:
        services.captured_item_discard(item=item)
    except services.CaptureUnavailable as unavailable:
        return _refused(request, item, str(unavailable))
    return _item_done(request, item, f"Discarded “{item.subject or item.get_kind_display()}”.")


@login_required
@require_POST
def capture_item_assign(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    """Put an unmatched item on one of the manager's accounts; it then waits to be
    confirmed among the matched ones."""
    item = _item_for(request, item_id)
    form = AssignForm(request.POST, accounts=_assignable(request))
    if not form.is_valid():
        return _refused(request, item, str(form.errors["account"][0]))
    account = form.cleaned_data["account"]  # one the manager may write to (the choices)
    try:
        services.captured_item_assign(item=item, actor=request.user, account=account)
    except services.CaptureUnavailable as unavailable:
        return _refused(request, item, str(unavailable))
    note = f"Put on {account.name}: confirm it among the matched ones."
    if request.htmx:
        return _item_done(request, item, note)
    messages.success(request, note)
    return redirect(reverse("capture-review") + "#matched")
