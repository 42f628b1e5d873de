"""Sending the outbox: the background worker's webhook loop.

Each pass claims the deliveries that are due (on PostgreSQL with FOR UPDATE SKIP LOCKED, so
several workers share the queue without sending anything twice), pushes them past a lease so no
other worker takes them meanwhile, and sends them outside any transaction: one thread per
endpoint, each over one kept-alive connection, so a slow receiver holds up only its own events.
Every attempt has a deadline on the whole of it, and the pass starts no attempt once its budget
is spent, so a pass ends well before its lease runs out. The result of every attempt is
recorded in one statement at the end of the pass.

Signing follows the Standard Webhooks specification (https://www.standardwebhooks.com/):
headers `webhook-id`, `webhook-timestamp` and `webhook-signature`, made by the specification's
own library. A 2xx answer is success; anything else (a redirect too, which is never followed)
is retried with the specification's backoff, then given up. The schedule runs from each
delivery's first failure, its own or its endpoint's while it waited behind another.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus

from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from webhooks.events import TEST_EVENT
from webhooks.models import Delivery, DeliveryStatus, Event
from webhooks.transport import Channel, NoAnswer

logger = logging.getLogger(__name__)

# After a failed attempt, the next one waits this long (the schedule the Standard Webhooks
# specification suggests); after the last, the delivery is given up.
RETRY_DELAYS = (
    datetime.timedelta(seconds=5),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=5),
    datetime.timedelta(hours=10),
    datetime.timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TIMEOUT_SECONDS = 10.0  # per attempt, in all: resolving, connecting, sending, the answer
BATCH = 200  # deliveries claimed per pass
SENDERS = 8  # endpoints sent to at once
# No attempt starts this long after the pass did: the deliveries left go back to the queue,
# due at once. A pass therefore ends within this and one attempt's TIMEOUT_SECONDS.
PASS_BUDGET_SECONDS = 60.0
# How long a claim keeps other workers away: longer than a pass can take (the budget, one
# attempt, and half a minute for the database), so no delivery is sent by two workers at once.
LEASE_MARGIN_SECONDS = 30.0
LEASE = datetime.timedelta(seconds=PASS_BUDGET_SECONDS + TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS)
POLL_SECONDS = 2.0  # how often an idle worker looks for due deliveries
KEEP_LOG = datetime.timedelta(days=30)  # finished deliveries are kept this long
USER_AGENT = "relationship-tracker-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one delivery's turn in a pass came to."""

    delivery_id: int
    attempted: bool = True
    status: int | None = None  # the HTTP status, None without an answer
    error: str = ""
    # Not attempted after its endpoint failed to answer: it waits as long as that delivery.
    follows: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def unanswered(self) -> bool:
        return self.attempted and self.status is None


@dataclass(frozen=True)
class PassReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0  # failed this time, tried again later
    given_up: int = 0
    put_back: int = 0  # not attempted this pass


def deliveries_run(
    *,
    now: datetime.datetime | None = None,
    limit: int = BATCH,
    timeout: float = TIMEOUT_SECONDS,
    budget: float = PASS_BUDGET_SECONDS,
) -> PassReport:
    """One pass: send the deliveries due at `now` (default: the clock), at most `limit`, each
    attempt within `timeout` seconds and none started after `budget` seconds, and record how
    each went. Safe to run in several workers at once."""
    clock: Callable[[], datetime.datetime] = (lambda: now) if now else timezone.now
    lease = datetime.timedelta(seconds=budget + timeout + LEASE_MARGIN_SECONDS)
    claimed = deliveries_claim(now=clock(), limit=limit, lease=lease)
    if not claimed:
        return PassReport()
    outcomes = _send_all(claimed, timeout=timeout, stop_at=time.monotonic() + budget)
    return _record(claimed, outcomes, now=clock())


def deliveries_claim(
    *, now: datetime.datetime, limit: int, lease: datetime.timedelta = LEASE
) -> list[Delivery]:
    """Take up to `limit` due deliveries for this worker (a short transaction of two
    queries), with their events and endpoints, for `lease`."""
    with transaction.atomic():
        due = (
            Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(endpoint__is_enabled=True) | Q(event__kind=TEST_EVENT))
            .select_related("event", "endpoint")
            .order_by("next_attempt_at", "pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        claimed = list(due[:limit])
        if claimed:
            Delivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                next_attempt_at=now + lease
            )
    return claimed


def _send_all(claimed: list[Delivery], *, timeout: float, stop_at: float) -> dict[int, Outcome]:
    by_endpoint: defaultdict[int, list[Delivery]] = defaultdict(list)
    for delivery in claimed:
        by_endpoint[delivery.endpoint_id].append(delivery)
    with ThreadPoolExecutor(max_workers=min(SENDERS, len(by_endpoint))) as pool:
        groups = pool.map(
            lambda group: _send_group(group, timeout=timeout, stop_at=stop_at),
            by_endpoint.values(),
        )
        return {outcome.delivery_id: outcome for group in groups for outcome in group}


def _send_group(deliveries: list[Delivery], *, timeout: float, stop_at: float) -> list[Outcome]:
    """One endpoint's deliveries, in order, over one connection, none started after `stop_at`
    (on the monotonic clock; an endpoint waiting for a free sender may find it passed). Once
    the endpoint fails to answer, the rest are not tried this pass: they wait behind that
    delivery (an unreachable receiver costs one timeout)."""
    outcomes: list[Outcome] = []
    failed: Outcome | None = None
    channel = Channel(deliveries[0].endpoint.url)
    try:
        for delivery in deliveries:
            if failed is not None:
                outcomes.append(Outcome(delivery.pk, attempted=False, follows=failed.delivery_id))
            elif time.monotonic() >= stop_at:
                outcomes.append(Outcome(delivery.pk, attempted=False))
            else:
                outcome = delivery_send(channel, delivery, timeout=timeout)
                failed = outcome if outcome.unanswered else None
                outcomes.append(outcome)
    finally:
        channel.close()
    return outcomes


def delivery_send(channel: Channel, delivery: Delivery, *, timeout: float) -> Outcome:
    """Sign and POST one delivery's event; what came of it (no database access)."""
    event, endpoint = delivery.event, delivery.endpoint
    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)
    sent_at = datetime.datetime.now(datetime.UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(event.webhook_id, sent_at, body),
    }
    try:
        answer = channel.post(body.encode(), headers, timeout=timeout)
    except NoAnswer as failure:
        return Outcome(delivery.pk, error=str(failure))
    if 200 <= answer.status < 300:
        return Outcome(delivery.pk, status=answer.status)
    # The status and its standard phrase only: the body stays unread, so an endpoint aimed at
    # some other service shows nothing of what that service says.
    words = f"HTTP {answer.status} {_phrase(answer.status)}".strip()
    if 300 <= answer.status < 400:
        words += f" (redirects are not followed: register {answer.location})"
    return Outcome(delivery.pk, status=answer.status, error=words[:500])


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _record(
    claimed: list[Delivery], outcomes: dict[int, Outcome], *, now: datetime.datetime
) -> PassReport:
    """Write how each claimed delivery went: the delivered ones in one UPDATE per HTTP status
    (nearly always one), the others, each with its own error and next attempt, in one more."""
    counts: defaultdict[str, int] = defaultdict(int)
    by_id = {delivery.pk: delivery for delivery in claimed}
    for delivery in claimed:
        if outcomes[delivery.pk].follows is None:
            counts[_apply(delivery, outcomes[delivery.pk], now)] += 1
    for delivery in claimed:  # after the deliveries they waited behind
        follows = outcomes[delivery.pk].follows
        if follows is not None:
            counts[_apply_waiting(delivery, by_id[follows], now)] += 1
    delivered: defaultdict[int | None, list[int]] = defaultdict(list)
    others = []
    for delivery in claimed:
        if delivery.status == DeliveryStatus.DELIVERED:
            delivered[delivery.response_status].append(delivery.pk)
        else:
            others.append(delivery)
    for status, ids in delivered.items():
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.DELIVERED,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
            last_attempt_at=now,
            response_status=status,
            error="",
            delivered_at=now,
        )
    Delivery.objects.bulk_update(others, RECORDED_FIELDS, batch_size=BATCH)
    return PassReport(claimed=len(claimed), **counts)


RECORDED_FIELDS = [
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "failing_since",
    "response_status",
    "error",
]


def retry_at(failing_since: datetime.datetime, now: datetime.datetime) -> datetime.datetime | None:
    """The next point of the retry schedule counted from `failing_since` that is after `now`;
    None once the schedule is over (give up)."""
    at = failing_since
    for delay in RETRY_DELAYS:
        at += delay
        if at > now:
            return at
    return None


def _apply(delivery: Delivery, outcome: Outcome, now: datetime.datetime) -> str:
    """Set the delivery's fields from `outcome`; which PassReport count it adds to."""
    if not outcome.attempted:
        delivery.next_attempt_at = now
        return "put_back"
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = outcome.status
    delivery.error = outcome.error
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.DELIVERED,
            now,
            None,
        )
        return "delivered"
    delivery.failing_since = delivery.failing_since or now
    delivery.next_attempt_at = retry_at(delivery.failing_since, now)
    if delivery.next_attempt_at is None or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        return "given_up"
    return "retrying"


def _apply_waiting(delivery: Delivery, ahead: Delivery, now: datetime.datetime) -> str:
    """A delivery not sent because its endpoint did not answer `ahead`: its own schedule runs
    from then, it waits as long as `ahead` (or, once `ahead` is given up, until its own next
    point), and it is given up when its own schedule is over."""
    delivery.failing_since = delivery.failing_since or now
    own_next = retry_at(delivery.failing_since, now)
    since = timezone.localtime(delivery.failing_since).strftime("%d %b %H:%M")
    if own_next is None:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        delivery.error = f"Gave up without sending: the endpoint has not answered since {since}"
        delivery.error = f"{delivery.error} ({ahead.error})"[:500]
        return "given_up"
    delivery.next_attempt_at = (
        ahead.next_attempt_at if ahead.status == DeliveryStatus.PENDING else own_next
    )
    delivery.error = (
        f"Not sent yet: waiting behind the {ahead.event.kind} event of "
        f"{timezone.localtime(ahead.event.created_at):%d %b %H:%M:%S}, which got no answer "
        f"({ahead.error})"
    )[:500]
    return "put_back"


def deliveries_prune(*, now: datetime.datetime | None = None) -> int:
    """Forget deliveries finished more than KEEP_LOG ago, and events nobody waits for; the
    deliveries removed."""
    before = (now or timezone.now()) - KEEP_LOG
    with transaction.atomic():
        removed, _ = (
            Delivery.objects.exclude(status=DeliveryStatus.PENDING)
            .filter(last_attempt_at__lt=before)
            .delete()
        )
        Event.objects.filter(deliveries__isnull=True).delete()
    return removed


class DeliveryLoop(threading.Thread):
    """The thread `run_worker` starts beside the task worker: a pass whenever deliveries are
    due, and once an hour the old log pruned."""

    def __init__(self, *, interval: float = POLL_SECONDS) -> None:
        super().__init__(name="webhook-deliveries", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        pruned_at = 0.0
        while not self.stopping.is_set():
            busy = False
            try:
                busy = deliveries_run().claimed >= BATCH
                if time.monotonic() - pruned_at > 3600:
                    deliveries_prune()
                    pruned_at = time.monotonic()
            except Exception:  # the database away for a moment: try again at the next pass
                logger.exception("Delivering webhooks failed")
            finally:
                close_old_connections()
            if not busy:
                self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
