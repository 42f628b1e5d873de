"""An account's interactions and contacts: read them, log an interaction (which rescores the
account and says what changed), add a contact. Writes go through the pages' own forms and use
cases, so the API refuses what the pages refuse, with the same words."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.errors import HttpError

from accounts.access import account_for_user
from accounts.models import Account, AccountStatus
from api.auth import ApiRequest, caller, require_write
from api.errors import field_error, form_errors
from api.v1.schemas import (
    MAX_OFFSET,
    ContactIn,
    ContactOut,
    InteractionIn,
    InteractionLogged,
    InteractionPage,
    refusals,
)
from relationships import selectors, services
from relationships.forms import ContactForm, InteractionForm
from relationships.models import Contact, Interaction, SignalType, TrustSignal
from scoring import use_cases
from scoring.selectors import profile_active
from scoring.standings import Standing

router = Router(tags=["evidence"])

BODY = ["body", "payload"]
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def _interactions(account: Account):
    signals = TrustSignal.objects.select_related("signal_type").order_by("signal_type__slug")
    return (
        Interaction.objects.filter(account=account)
        .select_related("logged_by")
        .prefetch_related(
            Prefetch("participants", queryset=Contact.objects.order_by("name")),
            Prefetch("signals", queryset=signals),
        )
        .order_by("-occurred_on", "-pk")
    )


def _interaction(interaction: Interaction) -> dict[str, Any]:
    return {
        "id": interaction.pk,
        "occurred_on": interaction.occurred_on,
        "kind": interaction.kind,
        "initiated_by_client": interaction.initiated_by_client,
        "notes": interaction.notes,
        "sentiment": interaction.sentiment,
        "logged_by": interaction.logged_by.username if interaction.logged_by else None,
        "participants": [{"id": c.pk, "name": c.name} for c in interaction.participants.all()],
        "signals": [signal.signal_type.slug for signal in interaction.signals.all()],
    }


@router.get(
    "/accounts/{account_id}/interactions",
    response={200: InteractionPage, **refusals(404, 422)},
    summary="Interactions",
)
def interaction_list(
    request: ApiRequest,
    account_id: int,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """The account's interactions, newest first, with who took part and the signals seen."""
    account = account_for_user(caller(request), account_id)
    interactions = _interactions(account)
    page = interactions[offset : offset + limit]
    items = [_interaction(interaction) for interaction in page]
    return {"count": interactions.count(), "limit": limit, "offset": offset, "items": items}


def _signal_ids(slugs: list[str], offered: list[SignalType]) -> list[int]:
    """The ids of the signal types named by slug; an unknown or retired one is a 422."""
    by_slug = {signal_type.slug: signal_type.pk for signal_type in offered}
    unknown = [slug for slug in slugs if slug not in by_slug]
    if unknown:
        raise field_error(
            loc=BODY,
            field="signals",
            msg=f"Not an active signal type: {', '.join(unknown)}. GET /api/v1/signals lists them.",
            type="unknown_signal",
        )
    return [by_slug[slug] for slug in slugs]


def _form_data(payload: InteractionIn, signal_ids: list[int]) -> dict[str, Any]:
    """The payload as the log form receives it from the page."""
    data: dict[str, Any] = {
        "occurred_on": (payload.occurred_on or timezone.localdate()).isoformat(),
        "kind": payload.kind,
        "notes": payload.notes,
        "sentiment": "" if payload.sentiment is None else str(payload.sentiment),
        "participants": [str(pk) for pk in payload.participants],
        "new_contact_name": payload.new_contact_name,
        "new_contact_title": payload.new_contact_title,
        "signals": [str(pk) for pk in signal_ids],
    }
    if payload.initiated_by_client:
        data["initiated_by_client"] = "on"
    return data


def _brief(standing: Standing | None) -> dict[str, Any] | None:
    if standing is None:
        return None
    return {
        "week_ending": standing.week_ending,
        "score": standing.score,
        "stage": standing.stage.value,
        "stage_label": standing.stage.label,
        "decline_risk": standing.decline_risk,
        "risk_band": profile_active().engine_profile().risk_band(standing.decline_risk),
        "next_stage_gap": standing.next_stage_gap,
    }


def _writable(request: ApiRequest, account_id: int) -> Account:
    require_write(request)
    account = account_for_user(caller(request), account_id, write=True)
    if account.status != AccountStatus.ACTIVE:
        raise HttpError(
            409, f"The account is {account.get_status_display().lower()}: nothing is logged on it."
        )
    return account


@router.post(
    "/accounts/{account_id}/interactions",
    # 400: not JSON; 413: over the upload limit.
    response={201: InteractionLogged, **refusals(400, 403, 404, 409, 413, 422)},
    summary="Log an interaction",
)
def interaction_create(
    request: ApiRequest, account_id: int, payload: InteractionIn
) -> Status[dict[str, Any]]:
    """Log an interaction with the trust signals observed (by slug), as the account page's log
    form does: the account is rescored at once, and the answer gives its standing before and
    after and what changed in words. A read-only token gets 403; a lost or archived account
    409; what the log form would refuse, 422 with the field named."""
    account = _writable(request, account_id)
    offered = selectors.signal_types_for_form()
    form = InteractionForm(
        _form_data(payload, _signal_ids(payload.signals, offered)),
        account=account,
        signal_types=offered,
    )
    if not form.is_valid():
        raise form_errors(form, loc=BODY)
    interaction, change = use_cases.interaction_log(
        account=account, actor=caller(request), data=form.to_input()
    )
    logged = _interactions(account).get(pk=interaction.pk)
    return Status(
        201,
        {
            "interaction": _interaction(logged),
            "standing_before": _brief(change.before),
            "standing": _brief(change.after),
            "summary": change.summary,
        },
    )


def _contact(contact: Contact) -> dict[str, Any]:
    """The contact as the pages edit it (services.contact_state), with its id and leaving day."""
    state = services.contact_state(contact)
    state["reports_to"] = state.pop("reports_to_id")
    return {"id": contact.pk, **state, "left_on": contact.left_on}


@router.get(
    "/accounts/{account_id}/contacts",
    response={200: list[ContactOut], **refusals(404, 422)},
    summary="Contacts",
)
def contact_list(request: ApiRequest, account_id: int) -> list[dict[str, Any]]:
    """The people at the client, by name, including those who left (with the day)."""
    account = account_for_user(caller(request), account_id)
    return [_contact(contact) for contact in account.contacts.order_by("name", "pk")]


@router.post(
    "/accounts/{account_id}/contacts",
    response={201: ContactOut, **refusals(400, 403, 404, 413, 422)},
    summary="Add a contact",
)
def contact_create(request: ApiRequest, account_id: int, payload: ContactIn) -> Status[Any]:
    """Add a person at the client, as the account page does (recorded in its history)."""
    require_write(request)
    account = account_for_user(caller(request), account_id, write=True)
    data = payload.model_dump(mode="json")
    data["reports_to"] = "" if payload.reports_to is None else str(payload.reports_to)
    if not payload.is_champion:
        data.pop("is_champion")
    form = ContactForm(data, account=account)
    if form.is_valid():
        try:
            contact = services.contact_add(
                account=account, actor=caller(request), details=form.details()
            )
        except DjangoValidationError as error:
            form.add_error(None, error)
        else:
            return Status(201, _contact(contact))
    raise form_errors(form, loc=BODY)
